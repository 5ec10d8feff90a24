package dev.berth.samples;

import dev.berth.api.PlatformEvent;
import dev.berth.api.PlatformListener;
import java.io.PrintStream;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/** Prints platform events as one readable line each, for the samples. */
final class EventPrinter implements PlatformListener {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
    private final PrintStream out;

    EventPrinter(PrintStream out) {
        this.out = out;
    }

    @Override
    public void onEvent(PlatformEvent e) {
        out.println(TIME.format(e.at()) + "  " + describe(e));
        out.flush();
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
        return e.toString();
    }

    /** "pid 1234" for a process, "container 0123456789ab" for a container id. */
    static String handle(String handle) {
        return handle.matches("[0-9a-f]{64}") ? "container " + handle.substring(0, 12) : "pid " + handle;
    }
}
