// When Serve reloads its manifests: a debounced watch of the folder, and SIGHUP.
package dev.berth.samples;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a reload when a manifest file ({@code *.yml}, {@code *.yaml}, {@code *.json}) of a folder
 * is created, changed or deleted, once the folder has been quiet for the debounce time (an editor
 * saving in several writes, a {@code cp} of many files: one reload), and at once on SIGHUP.
 * Reloads run one at a time on a thread of their own; requests that come while one is waiting to
 * run are merged into it. Thread-safe; its threads are daemons.
 */
final class ManifestWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ManifestWatch.class);

    private final Path dir;
    private final Duration debounce;
    private final Runnable reload;
    private final WatchService watcher;
    private final ExecutorService runner = Executors.newSingleThreadExecutor(daemon("serve-reload"));
    private final AtomicBoolean queued = new AtomicBoolean();

    private ManifestWatch(Path dir, Duration debounce, Runnable reload, WatchService watcher) {
        this.dir = dir;
        this.debounce = debounce;
        this.reload = reload;
        this.watcher = watcher;
    }

    /**
     * Watches {@code dir} and, when {@code onSighup}, SIGHUP; {@code reload} runs for each change.
     *
     * @throws IOException when the folder cannot be watched (nothing is started then)
     */
    static ManifestWatch start(Path dir, Duration debounce, boolean onSighup, Runnable reload) throws IOException {
        WatchService watcher = dir.getFileSystem().newWatchService();
        try {
            dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException | RuntimeException e) {
            watcher.close();
            throw e;
        }
        ManifestWatch w = new ManifestWatch(dir, debounce, reload, watcher);
        daemon("serve-watch").newThread(w::watch).start();
        if (onSighup) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> w.request());
            } catch (IllegalArgumentException e) { // the JVM keeps SIGHUP (-Xrs, say): file changes still reload
                LOG.warn("SIGHUP cannot be handled in this JVM ({}); {} is reloaded on change only", e.getMessage(), dir);
            }
        }
        return w;
    }

    /** Asks for a reload now; merged with one already waiting to run. */
    void request() {
        if (runner.isShutdown()) {
            return; // closed (a controller that stopped leading): its SIGHUP handler may still call
        }
        if (queued.compareAndSet(false, true)) {
            runner.execute(() -> {
                queued.set(false);
                try {
                    reload.run();
                } catch (RuntimeException e) {
                    LOG.warn("reloading the manifests in {} failed: {}", dir, e.toString(), e);
                }
            });
        }
    }

    private void watch() {
        try {
            while (true) {
                boolean relevant = drain(watcher.take());
                // debounce: wait until nothing happened for the debounce time
                for (WatchKey next; (next = watcher.poll(debounce.toMillis(), TimeUnit.MILLISECONDS)) != null; ) {
                    relevant |= drain(next);
                }
                if (relevant) {
                    request();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed: Serve stops
        } catch (IllegalStateException e) {
            LOG.warn("stopped watching {} ({}); reload with SIGHUP (kill -HUP {})", dir, e.getMessage(),
                    ProcessHandle.current().pid());
        }
    }

    /** Whether {@code key}'s events touch a manifest file; re-arms the key. */
    private boolean drain(WatchKey key) {
        boolean relevant = false;
        for (WatchEvent<?> e : key.pollEvents()) {
            if (e.kind() == StandardWatchEventKinds.OVERFLOW) {
                relevant = true;
            } else if (e.context() instanceof Path p && isManifest(p.getFileName().toString())) {
                relevant = true;
            }
        }
        if (!key.reset()) {
            throw new IllegalStateException("the folder is gone or no longer watchable");
        }
        return relevant;
    }

    static boolean isManifest(String name) {
        return name.endsWith(".yml") || name.endsWith(".yaml") || name.endsWith(".json");
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Stops watching; a reload that runs finishes. */
    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            LOG.debug("closing the watch of {}: {}", dir, e.toString());
        }
        runner.shutdown();
    }
}
