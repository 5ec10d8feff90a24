// The instances a process backend object watches: tracked by id, exits seen and reported once, logs rotated.
package dev.berth.backend.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.spi.Backend;
import dev.berth.api.ExitInfo;
import dev.berth.support.IdLocks;

/**
 * The instances this backend object launched or adopted, by instance id, and their exits: each
 * one's exit file is watched ({@link ExitWatcher}); a ticker thread checks every second for exits
 * the watch missed (a wrapper that was killed too, an instance from before wrappers) and rotates
 * the output logs. An exit is handled once: the pid file is retired, what the instance left is
 * reaped and its cgroup removed, then the exit listener hears of it, unless a stop asked for it
 * (the {@value #STOP_MARKER} file tells so across backend objects) or the backend is closed.
 * Exit handling never blocks on an instance's lock: while a start, stop or kill holds it, it tries
 * again a little later. Thread-safe.
 */
final class TrackedInstances {
    private static final Logger LOG = LoggerFactory.getLogger(TrackedInstances.class);
    /** The file a stop writes the pid it stops into, so that any backend object sees that exit as asked for. */
    static final String STOP_MARKER = "stop-requested";
    private static final long RETRY_MILLIS = 20;

    private final IdLocks locks;
    private final long logMaxBytes;
    private final int logFiles;
    private final Map<String, TrackedProcess> tracked = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker;
    private final ExitWatcher watcher;
    private volatile Backend.ExitListener listener = (id, handle, exit) -> { };
    private volatile boolean closed;

    /** Starts the ticker and the exit watch; {@code locks} are the backend's per-instance-id locks. */
    TrackedInstances(IdLocks locks, long logMaxBytes, int logFiles) {
        this.locks = locks;
        this.logMaxBytes = logMaxBytes;
        this.logFiles = logFiles;
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "berth-process-ticker");
            t.setDaemon(true);
            return t;
        });
        this.watcher = new ExitWatcher("berth-process-exits", this::exitSeen);
        ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    void onExit(Backend.ExitListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** The tracked instance with that id (running or not yet seen to exit), or null. */
    TrackedProcess get(String id) {
        return tracked.get(id);
    }

    /** The instance files of every tracked instance. */
    List<InstanceFile> files() {
        List<InstanceFile> files = new ArrayList<>();
        for (TrackedProcess t : tracked.values()) {
            files.add(t.file);
        }
        return files;
    }

    int size() {
        return tracked.size();
    }

    boolean isClosed() {
        return closed;
    }

    // ---------------------------------------------------------------- tracking

    /** Tracks a just launched instance, replacing an earlier one of that id, and watches its exit file. */
    void launched(TrackedProcess t) {
        TrackedProcess old = tracked.put(t.id(), t);
        if (old != null) {
            old.finished.set(true);
            watcher.unwatch(old);
        }
        watchExit(t); // it may have ended before the watch began
    }

    /** Tracks a live process found from its pid file and watches its exit file, unless already tracked. */
    TrackedProcess adopt(InstanceDirs.Found f) {
        boolean[] created = new boolean[1];
        TrackedProcess t = tracked.compute(f.file().instanceId(), (k, old) -> {
            if (old != null && !old.finished.get() && old.file.pid() == f.file().pid()) {
                return old;
            }
            created[0] = true;
            return new TrackedProcess(f.file(), f.dir());
        });
        if (created[0]) {
            LOG.info("adopted {} from {}", t, f.dir());
            watchExit(t);
        }
        return t;
    }

    private void watchExit(TrackedProcess t) {
        watcher.watch(t);
        if (Files.exists(t.dir.resolve(Wrapper.EXIT))) {
            later(() -> exitSeen(t), 0);
        }
    }

    /**
     * Marks {@code t}'s coming exit as asked for, in memory and in its {@value #STOP_MARKER} file;
     * the caller holds its lock.
     */
    static void stopRequested(TrackedProcess t) {
        t.stopRequested = true;
        try {
            InstanceFile.writeAtomically(t.dir.resolve(STOP_MARKER), (t.file.pid() + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.warn("{}: cannot write the stop marker: {}", t, e.toString());
        }
    }

    /** Forgets an instance a stop ended and retires its pid file, unless its exit was handled already. */
    void stopped(TrackedProcess t) {
        if (t.finished.compareAndSet(false, true)) {
            tracked.remove(t.id(), t);
            watcher.unwatch(t);
            InstanceDirs.retire(t.dir, t.file.pid());
        }
    }

    // ---------------------------------------------------------------- exits

    /** The exit file of {@code t} appeared (or may have): report the recorded status. Never blocks. */
    private void exitSeen(TrackedProcess t) {
        if (t.finished.get() || t.stopRequested) {
            return; // a stop deals with it
        }
        Optional<Integer> code = InstanceLauncher.readExit(t.dir.resolve(Wrapper.EXIT));
        if (code.isEmpty()) {
            return;
        }
        int c = code.get();
        finish(t, c, t.killRequested ? "killed by Berth with SIGKILL (" + Procs.describe(c) + ")" : Procs.describe(c));
    }

    /** Runs {@code task} on the ticker after {@code millis}, unless the backend is closed. */
    private void later(Runnable task, long millis) {
        try {
            ticker.schedule(task, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("backend closed: {} not run", task);
        }
    }

    /**
     * Retires a gone instance and reports its exit unless a stop asked for it. Never blocks on the
     * instance's lock: while a start, stop or kill holds it, it tries again a little later.
     */
    private void finish(TrackedProcess t, int code, String reason) {
        IdLocks.Held lock = locks.tryLock(t.id());
        if (lock == null) {
            later(() -> finish(t, code, reason), RETRY_MILLIS);
            return;
        }
        boolean expected;
        try {
            if (!t.finished.compareAndSet(false, true)) {
                return;
            }
            tracked.remove(t.id(), t);
            watcher.unwatch(t);
            InstanceDirs.retire(t.dir, t.file.pid());
            expected = t.stopRequested || stopMarked(t);
        } finally {
            lock.close();
        }
        if (expected) {
            LOG.info("{} stopped: {}", t, reason);
        } else if (closed) {
            LOG.info("{} {} (not reported: the backend is closed)", t, reason);
        } else {
            LOG.warn("{} {}", t, reason);
        }
        boolean report = !expected && !closed;
        Instant at = Instant.now();
        // What it left is reaped and its cgroup removed BEFORE the exit is reported: the platform may
        // start the same id again at once, and that start must neither meet nor lose its cgroup.
        later(() -> {
            Terminator.cleanUp(t.file, t.toString());
            if (report) {
                try {
                    listener.exited(t.id(), Long.toString(t.file.pid()), new ExitInfo(code, at, reason));
                } catch (RuntimeException e) {
                    LOG.warn("exit listener failed for {}: {}", t, e.toString(), e);
                }
            }
        }, 0);
    }

    private static boolean stopMarked(TrackedProcess t) {
        try {
            Path marker = t.dir.resolve(STOP_MARKER);
            return Files.exists(marker)
                    && Files.readString(marker, StandardCharsets.UTF_8).trim().equals(Long.toString(t.file.pid()));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Every second: rotate output logs, and the safety net for exits: an exit file the watch
     * missed, a wrapper that was itself killed, an instance from before wrappers.
     */
    private void tick() {
        for (TrackedProcess t : tracked.values()) {
            try {
                if (LogFiles.rotateIfNeeded(t.dir.resolve(LogFiles.OUTPUT), logMaxBytes, logFiles)) {
                    LOG.debug("rotated the output of {}", t);
                }
                if (t.finished.get()) {
                    continue;
                }
                Optional<Integer> code = InstanceLauncher.readExit(t.dir.resolve(Wrapper.EXIT));
                if (code.isPresent()) {
                    finish(t, code.get(), Procs.describe(code.get()));
                } else if (!t.alive() && !t.wrapperAlive()) {
                    finish(t, ExitInfo.UNKNOWN, t.killRequested ? "killed by Berth with SIGKILL"
                            : t.file.wrapperPid() > 0 ? "exited (status unknown: its wrapper, which records it, was killed)"
                            : "exited (status unknown: it was started before exit statuses were recorded)");
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("background work on {} failed: {}", t, e.toString());
            }
        }
    }

    /** Marks the backend closed (exits are no longer reported) and stops the ticker and the watch. */
    void close() {
        closed = true;
        ticker.shutdownNow();
        watcher.close();
    }
}
