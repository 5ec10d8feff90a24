// One thread that sees the exit files the wrappers write, for all instances (inotify through a WatchService).
package dev.berth.backend.process;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sees the {@code exit} files the wrappers write, for all instances with one thread (a
 * {@link WatchService}: inotify on Linux, so an exit is seen within milliseconds). It only
 * dispatches: the handler must not block. When a directory cannot be watched (inotify limits),
 * it says so once and the backend's 1 s check remains. Thread-safe.
 */
final class ExitWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExitWatcher.class);
    private final WatchService service;
    private final Thread thread;
    private final Consumer<TrackedProcess> handler;
    private final Map<WatchKey, TrackedProcess> keys = new ConcurrentHashMap<>();
    private final AtomicBoolean warned = new AtomicBoolean();
    private volatile boolean closed;

    ExitWatcher(String name, Consumer<TrackedProcess> handler) {
        this.handler = handler;
        WatchService ws;
        try {
            ws = FileSystems.getDefault().newWatchService();
        } catch (IOException e) {
            LOG.warn("process backend: no file watch service ({}): exits are seen by the 1 s check only", e.toString());
            ws = null;
        }
        this.service = ws;
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        if (ws != null) {
            thread.start();
        }
    }

    /** Watches the instance's directory for its exit file (replacing an earlier instance in the same directory). */
    void watch(TrackedProcess t) {
        if (service == null || closed) {
            return;
        }
        try {
            WatchKey key = t.dir.register(service, StandardWatchEventKinds.ENTRY_CREATE);
            keys.put(key, t);
        } catch (IOException | RuntimeException e) {
            if (warned.compareAndSet(false, true)) {
                LOG.warn("process backend: cannot watch {} ({}); exits of such instances are seen by the 1 s check "
                        + "only (raise fs.inotify.max_user_watches?)", t.dir, e.toString());
            }
        }
    }

    /** Stops watching the instance's directory if it is still watched for {@code t}. */
    void unwatch(TrackedProcess t) {
        keys.entrySet().removeIf(e -> {
            if (e.getValue() == t) {
                e.getKey().cancel();
                return true;
            }
            return false;
        });
    }

    private void run() {
        while (!closed) {
            WatchKey key;
            try {
                key = service.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            TrackedProcess t = keys.get(key);
            for (WatchEvent<?> event : key.pollEvents()) {
                if (t == null) {
                    continue;
                }
                boolean overflow = event.kind() == StandardWatchEventKinds.OVERFLOW;
                if (overflow || Wrapper.EXIT.equals(String.valueOf(event.context()))) {
                    dispatch(t);
                }
            }
            if (!key.reset()) {
                keys.remove(key);
            }
        }
    }

    private void dispatch(TrackedProcess t) {
        try {
            handler.accept(t);
        } catch (RuntimeException e) {
            LOG.warn("handling the exit of {} failed: {}", t, e.toString(), e);
        }
    }

    /** The number of directories watched. */
    int size() {
        return keys.size();
    }

    @Override
    public void close() {
        closed = true;
        if (service != null) {
            try {
                service.close();
            } catch (IOException e) {
                LOG.debug("closing the watch service: {}", e.toString());
            }
        }
        thread.interrupt();
    }
}
