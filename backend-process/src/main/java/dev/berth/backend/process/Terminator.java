// Ending an instance's processes: its tree, its session but its wrapper, its cgroup; reaping what it left.
package dev.berth.backend.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.BackendException;

/**
 * Ends an instance's processes: its process tree, what else runs in its session (its wrapper
 * excepted, so the exit status is still recorded) and everything in its cgroup, which catches a
 * child that left the session (setsid, double fork). Stateless; callers hold the instance's lock.
 */
final class Terminator {
    private static final Logger LOG = LoggerFactory.getLogger(Terminator.class);
    static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private Terminator() {
    }

    /** The instance's process and descendants, the rest of its session but its wrapper, and its cgroup's processes. */
    static Map<Long, ProcessHandle> processesOf(InstanceFile f) {
        Map<Long, ProcessHandle> procs = new java.util.LinkedHashMap<>();
        if (f.cgroup().isPresent()) {
            // everything the app started is in its cgroup (joined before it ran): no scan of /proc
            f.process().ifPresent(h -> procs.put(h.pid(), h));
            f.cgroup().get().processes().forEach(h -> procs.putIfAbsent(h.pid(), h));
        } else {
            f.process().ifPresent(h -> Procs.collect(h, procs));
            for (ProcessHandle h : Procs.session(f.sessionId(), f.sessionTicks())) {
                procs.putIfAbsent(h.pid(), h);
            }
        }
        if (f.wrapperPid() > 0) {
            procs.remove(f.wrapperPid());
        }
        return procs;
    }

    /** SIGTERM to all of it, SIGKILL to what still runs after {@code grace}; throws when something survives KILL_WAIT. */
    static void stop(TrackedProcess t, Duration grace) {
        Map<Long, ProcessHandle> procs = processesOf(t.file);
        LOG.info("stopping {}: SIGTERM to {} process(es), grace {}", t, procs.size(), grace);
        Procs.signal(procs.values(), false);
        long deadline = System.nanoTime() + grace.toNanos();
        if (awaitGone(t.file, procs, deadline)) {
            return;
        }
        processesOf(t.file).forEach(procs::putIfAbsent);
        LOG.warn("{} still runs after the grace of {}: SIGKILL to {} process(es)", t, grace, procs.size());
        kill(t, procs);
    }

    /** SIGKILL to all of it; throws when something survives KILL_WAIT. */
    static void kill(TrackedProcess t) {
        Map<Long, ProcessHandle> procs = processesOf(t.file);
        LOG.info("killing {}: SIGKILL to {} process(es)", t, procs.size());
        kill(t, procs);
    }

    private static void kill(TrackedProcess t, Map<Long, ProcessHandle> procs) {
        long deadline = System.nanoTime() + KILL_WAIT.toNanos();
        Procs.signal(procs.values(), true);
        t.file.cgroup().ifPresent(c -> c.killAll(deadline));
        if (!awaitGone(t.file, procs, deadline)) {
            throw new BackendException(t + " still runs " + KILL_WAIT + " after SIGKILL");
        }
    }

    /** Waits until the processes are gone and the cgroup is empty, or the deadline passes; true when all are gone. */
    private static boolean awaitGone(InstanceFile f, Map<Long, ProcessHandle> procs, long deadline) {
        if (!Procs.awaitGone(procs.values(), deadline)) {
            return false;
        }
        Optional<InstanceCgroup> cg = f.cgroup();
        while (cg.isPresent() && !cg.get().pids().isEmpty()) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /**
     * After an instance is gone: kills what it left in its session and cgroup (children of a
     * crashed or killed root, double forks), then removes its cgroup. Bounded by KILL_WAIT.
     */
    static void cleanUp(InstanceFile f, String what) {
        List<ProcessHandle> left = f.cgroup().isPresent() ? new ArrayList<>()
                : new ArrayList<>(Procs.session(f.sessionId(), f.sessionTicks()));
        if (f.wrapperPid() > 0) {
            left.removeIf(h -> h.pid() == f.wrapperPid());
        }
        if (!left.isEmpty()) {
            LOG.info("{} is gone: SIGKILL to {} process(es) left in its session", what, left.size());
            Procs.signal(left, true);
        }
        f.cgroup().ifPresent(c -> {
            if (!c.pids().isEmpty()) {
                LOG.info("{} is gone: SIGKILL to what is left in its cgroup", what);
            }
            if (!c.killAll(System.nanoTime() + KILL_WAIT.toNanos())) {
                LOG.warn("{}: processes remain in its cgroup {} after SIGKILL", what, c.dirs());
            }
            c.remove();
        });
    }
}
