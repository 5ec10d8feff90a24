package dev.berth.samples;

import dev.berth.api.PlatformEvent;
import dev.berth.api.PlatformListener;
import java.io.PrintStream;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Prints platform events as one readable line each, for the samples; after an instance exited, the
 * last lines of its output (once {@link #showOutputWith} is set), so a crash loop says why without
 * a look into {@code output.log}.
 */
final class EventPrinter implements PlatformListener {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
    /** Instances whose last shown output is remembered (a crash loop's same lines are not shown again). */
    private static final int REMEMBERED = 1000;
    private final PrintStream out;
    private volatile Function<PlatformEvent.InstanceExited, List<String>> output;
    /** Event thread only. */
    private final Map<String, List<String>> shown = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<String>> eldest) {
            return size() > REMEMBERED;
        }
    };

    EventPrinter(PrintStream out) {
        this.out = out;
    }

    /** Where the last lines of an exited instance's output come from (the platform's logs, secrets masked). */
    void showOutputWith(Function<PlatformEvent.InstanceExited, List<String>> lastLines) {
        this.output = lastLines;
    }

    @Override
    public void onEvent(PlatformEvent e) {
        out.println(TIME.format(e.at()) + "  " + describe(e));
        Function<PlatformEvent.InstanceExited, List<String>> source = output;
        if (e instanceof PlatformEvent.InstanceExited x && source != null) {
            printOutput(x, source);
        }
        out.flush();
    }

    private void printOutput(PlatformEvent.InstanceExited x, Function<PlatformEvent.InstanceExited, List<String>> source) {
        List<String> lines;
        try {
            lines = source.apply(x);
        } catch (RuntimeException unreadable) {
            return; // gone with its instance, or a host out of reach: the exit line said what is known
        }
        if (lines.isEmpty()) {
            return;
        }
        // output.log grows over the restarts of an instance: a crash loop ends on the same last line each time
        List<String> before = shown.put(x.instance(), lines);
        if (before != null && before.get(before.size() - 1).equals(lines.get(lines.size() - 1))) {
            out.println("              (its output ends as after its last exit)");
            return;
        }
        out.println("              last lines of " + x.instance() + "'s output:");
        lines.forEach(l -> out.println("              | " + l));
    }

    static String describe(PlatformEvent e) {
        if (e instanceof PlatformEvent.AppDeployed d) {
            return d.app() + ": deployed release " + d.release();
        } else if (e instanceof PlatformEvent.AppScaled s) {
            return s.app() + ": scaled to " + s.instances();
        } else if (e instanceof PlatformEvent.AppStopped s) {
            return s.app() + (s.removed() ? ": removed" : ": stopped");
        } else if (e instanceof PlatformEvent.InstancesUnplaced u) {
            return u.app() + ": " + u.count() + " instance(s) unplaced: " + u.reason();
        } else if (e instanceof PlatformEvent.InstanceStarting s) {
            return s.instance() + ": starting on node " + s.node();
        } else if (e instanceof PlatformEvent.InstanceStarted s) {
            return s.instance() + ": started, " + handle(s.handle()) + (s.endpoint() == null ? "" : ", http://" + s.endpoint() + "/");
        } else if (e instanceof PlatformEvent.InstanceAdopted a) {
            return a.instance() + ": adopted, still running as " + handle(a.handle());
        } else if (e instanceof PlatformEvent.InstanceStartFailed f) {
            return f.instance() + ": failed to start: " + f.reason();
        } else if (e instanceof PlatformEvent.InstanceHealthy h) {
            return h.instance() + ": healthy";
        } else if (e instanceof PlatformEvent.InstanceUnhealthy u) {
            return u.instance() + ": unhealthy: " + u.reason();
        } else if (e instanceof PlatformEvent.InstanceExited x) {
            return x.instance() + ": exited (" + x.exit().reason() + ")";
        } else if (e instanceof PlatformEvent.InstanceRespawning r) {
            return r.instance() + ": respawning in " + r.delay().toMillis() + " ms (restart " + r.restarts() + ")";
        } else if (e instanceof PlatformEvent.InstanceStopped s) {
            return s.instance() + ": stopped";
        } else if (e instanceof PlatformEvent.BuildOutput b) {
            return b.app() + " " + b.release() + " on " + b.node() + ": build: " + b.line();
        }
        return describeMore(e);
    }

    /** The rollout, node and control-plane events, one readable line each; the record's text for a new kind. */
    private static String describeMore(PlatformEvent e) {
        if (e instanceof PlatformEvent.DeployStarted d) {
            return d.app() + ": rolling out release " + d.release()
                    + (d.fromRelease() == null || d.fromRelease().isEmpty() ? "" : " over " + d.fromRelease());
        } else if (e instanceof PlatformEvent.DeployProgress p) {
            return p.app() + ": release " + p.release() + ": " + p.healthy() + " of " + p.of() + " healthy";
        } else if (e instanceof PlatformEvent.TrafficSwitched t) {
            return t.app() + ": traffic now goes to release " + t.release() + " only";
        } else if (e instanceof PlatformEvent.DeploySucceeded d) {
            return d.app() + ": release " + d.release() + " rolled out in " + d.took().toMillis() + " ms";
        } else if (e instanceof PlatformEvent.DeployFailed f) {
            return f.app() + ": release " + f.release() + " failed: " + f.reason()
                    + (f.rolledBackTo() == null || f.rolledBackTo().isEmpty() ? "" : "; back to release " + f.rolledBackTo());
        } else if (e instanceof PlatformEvent.InstanceLost l) {
            return l.instance() + ": lost with node " + l.node() + " (" + l.reason() + "); replaced elsewhere";
        } else if (e instanceof PlatformEvent.StaleInstanceStopped s) {
            return s.instance() + ": stopped on node " + s.node() + ", where it had been lost";
        } else if (e instanceof PlatformEvent.NodeDown d) {
            return "node " + d.node() + ": down (" + d.reason() + ")";
        } else if (e instanceof PlatformEvent.NodeUp u) {
            return "node " + u.node() + ": answers again";
        } else if (e instanceof PlatformEvent.ControlPlaneSuspect c) {
            return c.silent() + " of " + c.nodes() + " nodes silent at once: suspecting this controller's network, "
                    + "no node is marked down";
        } else if (e instanceof PlatformEvent.ControlPlaneTrusted c) {
            return c.silent() + " of " + c.nodes() + " nodes silent: node liveness counts again";
        }
        return e.toString();
    }

    /** "pid 1234" for a process, "container 0123456789ab" for a container id. */
    static String handle(String handle) {
        return handle.matches("[0-9a-f]{64}") ? "container " + handle.substring(0, 12) : "pid " + handle;
    }
}
