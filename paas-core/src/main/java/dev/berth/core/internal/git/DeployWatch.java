package dev.berth.core.internal.git;

import dev.berth.api.PlatformEvent;
import dev.berth.api.PlatformListener;
import dev.berth.support.Redactor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Follows one app's pushed release through the platform's events and tells the pusher about it as
 * {@code remote:} lines, as Dokku and Kamal do: the release's build and setup output, its
 * instances' failures, "k of n instances healthy", and the outcome: "release r7 is live on 3
 * instances" or "release r7 was rolled back: REASON" followed by the last lines (at most
 * {@value #TAIL_LINES}, {@value #TAIL_BYTES} bytes) of the failing instance's output.
 *
 * <p>Register it as a listener <em>before</em> the deploy so that no event is missed, then call
 * {@link #await} on the push's thread. Every line is stripped of the app's env values (secrets)
 * before it is sent. Build output is shown up to {@value #BUILD_LINES} lines per push.
 *
 * <p>{@link #onEvent} is thread-safe (the event thread only queues); {@link #await} is called by
 * one thread.
 */
public final class DeployWatch implements PlatformListener {
    /** The most lines of the failing instance's output shown. */
    static final int TAIL_LINES = 20;
    /** The most bytes (UTF-8) of the failing instance's output shown. */
    static final int TAIL_BYTES = 4096;
    /** The most build and setup output lines shown per push. */
    static final int BUILD_LINES = 200;
    /** A line is sent at least this often while waiting, so that the pusher (and every proxy) sees life. */
    static final Duration KEEPALIVE = Duration.ofSeconds(15);
    /** The most lines one text (a failure reason with its setup output) is shown with. */
    static final int TEXT_LINES = 30;
    private static final String P = "berth: ";

    /** What the watch reads of instances. */
    public interface Instances {
        /** The release of an instance the platform still knows. */
        Optional<String> releaseOf(String instanceId);

        /** The last lines (at most {@code n}) of an instance's output; empty when it cannot be read. */
        List<String> lastLines(String instanceId, int n);
    }

    private final String app;
    private final Consumer<String> remote;
    private final Instances instances;
    private final Redactor redactor;
    private final BlockingQueue<PlatformEvent> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger buildLines = new AtomicInteger();

    /**
     * @param app       the app whose events it follows
     * @param secrets   values never to show (the app's env values)
     * @param remote    where its lines go
     * @param instances how it reads instances' releases and output
     */
    public DeployWatch(String app, Collection<String> secrets, Consumer<String> remote, Instances instances) {
        this.app = Objects.requireNonNull(app, "app");
        this.redactor = new Redactor(secrets);
        this.remote = Objects.requireNonNull(remote, "remote");
        this.instances = Objects.requireNonNull(instances, "instances");
    }

    /** Queues the app's events; build output beyond {@link #BUILD_LINES} lines is counted, not kept. */
    @Override
    public void onEvent(PlatformEvent event) {
        if (!app.equals(event.app())) {
            return;
        }
        if (event instanceof PlatformEvent.BuildOutput && buildLines.incrementAndGet() > BUILD_LINES) {
            return;
        }
        queue.add(event);
    }

    /** Sends text to the pusher, without secrets: one {@code remote:} line per line, at most {@value #TEXT_LINES}. */
    public void say(String text) {
        String[] lines = redactor.apply(text).split("\r?\n|\r", -1);
        for (int i = 0; i < lines.length && i < TEXT_LINES; i++) {
            remote.accept(P + lines[i]);
        }
        if (lines.length > TEXT_LINES) {
            remote.accept(P + "(" + (lines.length - TEXT_LINES) + " more lines not shown)");
        }
    }

    /**
     * Tells the pusher how {@code release} goes until its outcome, at most for {@code bound} and
     * while {@code open} says the platform runs.
     *
     * @return refused when the release was rolled back (the reason, for git's status line); accepted
     *         when it went live, was superseded, or no outcome came in time (it keeps rolling out)
     */
    public PushListener.Verdict await(String release, Duration bound, BooleanSupplier open) {
        Run run = new Run(release);
        long start = System.nanoTime();
        long deadline = start + bound.toNanos();
        long lastSaid = start;
        try {
            while (true) {
                long now = System.nanoTime();
                if (now - deadline >= 0) {
                    say("no outcome for release " + release + " within " + seconds(bound) + "; it keeps rolling out "
                            + "(watch the platform's events)");
                    return PushListener.Verdict.ACCEPT;
                }
                if (!open.getAsBoolean()) {
                    say("the platform is stopping; release " + release + " resumes when it starts again");
                    return PushListener.Verdict.ACCEPT;
                }
                PlatformEvent e = queue.poll(Math.min(250, TimeUnit.NANOSECONDS.toMillis(deadline - now) + 1),
                        TimeUnit.MILLISECONDS);
                if (e == null) {
                    if (System.nanoTime() - lastSaid >= KEEPALIVE.toNanos()) {
                        say("waiting for release " + release + ": " + run.healthy + " of " + run.of
                                + " instances healthy after " + seconds(Duration.ofNanos(System.nanoTime() - start)));
                        lastSaid = System.nanoTime();
                    }
                    continue;
                }
                int before = run.said;
                Optional<PushListener.Verdict> outcome = run.on(e);
                if (outcome.isPresent()) {
                    return outcome.get();
                }
                if (run.said != before) {
                    lastSaid = System.nanoTime();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            say("stopped waiting for release " + release + " (the git server is stopping); it keeps rolling out");
            return PushListener.Verdict.ACCEPT;
        }
    }

    private static String seconds(Duration d) {
        return d.toSeconds() + " s";
    }

    /** The state of one wait: which instances are the release's, what they said last. */
    private final class Run {
        private final String release;
        private final Set<String> ours = new LinkedHashSet<>();
        private boolean started;
        private boolean buildCutTold;
        private int healthy;
        private int of;
        private int said;
        private String failing;
        private List<String> tail = List.of();

        Run(String release) {
            this.release = release;
        }

        private void tell(String line) {
            said++;
            say(line);
        }

        /** Handles one event; the verdict once the release's outcome is known. */
        Optional<PushListener.Verdict> on(PlatformEvent e) {
            if (e instanceof PlatformEvent.BuildOutput b) {
                if (b.release().equals(release)) {
                    tell("[" + b.node() + "] " + b.line());
                }
            } else if (e instanceof PlatformEvent.DeployStarted d) {
                if (d.release().equals(release)) {
                    started = true;
                } else if (started) {
                    tell("release " + release + " was superseded by release " + d.release() + " (another push or deploy)");
                    return Optional.of(PushListener.Verdict.ACCEPT);
                }
            } else if (e instanceof PlatformEvent.InstanceStarting s) {
                claim(s.instance());
            } else if (e instanceof PlatformEvent.InstanceStarted s) {
                claim(s.instance());
            } else if (e instanceof PlatformEvent.InstanceStartFailed f && mine(f.instance())) {
                failed(f.instance(), "failed to start: " + firstLine(f.reason()));
            } else if (e instanceof PlatformEvent.InstanceExited x && mine(x.instance())) {
                failed(x.instance(), "exited: " + firstLine(x.exit().reason()));
            } else if (e instanceof PlatformEvent.InstanceUnhealthy u && mine(u.instance())) {
                failed(u.instance(), "is unhealthy: " + firstLine(u.reason()));
            } else if (e instanceof PlatformEvent.DeployProgress p && p.release().equals(release)) {
                healthy = p.healthy();
                of = p.of();
                tell(p.healthy() + " of " + p.of() + " instances healthy");
            } else if (e instanceof PlatformEvent.DeploySucceeded s && s.release().equals(release)) {
                cutNotice();
                tell("release " + release + " is live on " + of + " instance" + (of == 1 ? "" : "s")
                        + " (" + s.took().toMillis() + " ms)");
                return Optional.of(PushListener.Verdict.ACCEPT);
            } else if (e instanceof PlatformEvent.DeployFailed f && f.release().equals(release)) {
                return Optional.of(rolledBack(f));
            } else if (e instanceof PlatformEvent.AppStopped s) {
                tell("app " + app + " was " + (s.removed() ? "removed" : "stopped") + " while release " + release
                        + " rolled out");
                return Optional.of(PushListener.Verdict.ACCEPT);
            }
            return Optional.empty();
        }

        /** An instance starting now whose record names this release is one of the release's. */
        private void claim(String id) {
            if (!ours.contains(id) && instances.releaseOf(id).filter(release::equals).isPresent()) {
                ours.add(id);
            }
        }

        private boolean mine(String id) {
            claim(id);
            return ours.contains(id);
        }

        private void failed(String id, String what) {
            tell("instance " + id + " " + what);
            failing = id;
            List<String> lines = instances.lastLines(id, TAIL_LINES); // now: a rolled-back instance goes away
            if (!lines.isEmpty()) {
                tail = lines;
            }
        }

        private PushListener.Verdict rolledBack(PlatformEvent.DeployFailed f) {
            cutNotice();
            String to = f.rolledBackTo() == null || f.rolledBackTo().isEmpty() ? "" : " (back to " + f.rolledBackTo() + ")";
            tell("release " + release + " was rolled back" + to + ": " + f.reason());
            if (tail.isEmpty()) {
                List<String> candidates = new ArrayList<>(ours);
                if (failing != null) {
                    candidates.remove(failing);
                    candidates.add(failing);
                }
                for (int i = candidates.size() - 1; i >= 0 && tail.isEmpty(); i--) {
                    tail = instances.lastLines(candidates.get(i), TAIL_LINES);
                    failing = tail.isEmpty() ? failing : candidates.get(i);
                }
            }
            if (!tail.isEmpty()) {
                List<String> shown = capped(tail);
                tell("last " + shown.size() + " line" + (shown.size() == 1 ? "" : "s") + " of instance " + failing
                        + "'s output:");
                shown.forEach(l -> tell("  " + l));
            }
            return PushListener.Verdict.refuse(redactor.apply("release " + release + " was rolled back" + to + ": "
                    + firstLine(f.reason())));
        }

        private void cutNotice() {
            int dropped = buildLines.get() - BUILD_LINES;
            if (dropped > 0 && !buildCutTold) {
                buildCutTold = true;
                tell("(" + dropped + " more line" + (dropped == 1 ? "" : "s") + " of build output not shown)");
            }
        }
    }

    /** The last lines of {@code lines} that fit in {@link #TAIL_LINES} lines and {@link #TAIL_BYTES} bytes. */
    static List<String> capped(List<String> lines) {
        Deque<String> kept = new ArrayDeque<>();
        int bytes = 0;
        for (int i = lines.size() - 1; i >= 0 && kept.size() < TAIL_LINES; i--) {
            String l = lines.get(i);
            int b = l.getBytes(StandardCharsets.UTF_8).length + 1;
            if (bytes + b > TAIL_BYTES) {
                if (kept.isEmpty()) {
                    kept.addFirst(l.substring(0, Math.min(l.length(), TAIL_BYTES / 4)) + " ...");
                }
                break;
            }
            bytes += b;
            kept.addFirst(l);
        }
        return List.copyOf(kept);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " ...";
    }
}
