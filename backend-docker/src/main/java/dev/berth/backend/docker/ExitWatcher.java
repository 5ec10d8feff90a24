// The engine's die events of this node's containers, followed with reconnects and a resync after each.
package dev.berth.backend.docker;

import java.io.Closeable;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;

import dev.berth.api.ExitInfo;

/**
 * Follows the engine's {@code die} events of containers with the given labels and hands them to
 * {@code died}. When the stream ends or fails it reconnects (after 1 s, then up to 10 s apart),
 * asking for the events since the last one seen, and calls {@code resync} once connected so that
 * exits missed meanwhile are found. Thread-safe.
 */
final class ExitWatcher implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(ExitWatcher.class);

    interface Died {
        void died(String containerId, int code, String detail);
    }

    private final DockerClient docker;
    private final Map<String, String> labels;
    private final Died died;
    private final Runnable resync;
    private final String where;
    private final ScheduledExecutorService executor;
    private final Object lock = new Object();
    /** The current stream; guarded by lock. Only its end or failure triggers a reconnect. */
    private Callback stream;
    /** Whether a reconnect is scheduled; guarded by lock. */
    private boolean reconnecting;
    /** Seconds.nanos of the last event seen, for "since" on reconnect; guarded by lock. */
    private String lastEventTime;
    /** The wait before the next reconnect; guarded by lock. */
    private long retryMillis = 1000;
    private volatile boolean closed;
    private volatile boolean everFailed;

    ExitWatcher(DockerClient docker, Map<String, String> labels, Died died, Runnable resync, String where) {
        this.docker = docker;
        this.labels = Map.copyOf(labels);
        this.died = died;
        this.resync = resync;
        this.where = where;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "berth-docker-events");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        executor.execute(this::connect);
    }

    private void connect() {
        if (closed) {
            return;
        }
        String since;
        Callback callback = new Callback();
        synchronized (lock) {
            reconnecting = false;
            if (stream != null || closed) {
                return;
            }
            since = lastEventTime;
            stream = callback; // before exec: a failure that comes at once must find it current
        }
        try {
            var cmd = docker.eventsCmd().withEventTypeFilter(EventType.CONTAINER).withEventFilter("die")
                    .withLabelFilter(labels);
            if (since != null) {
                cmd.withSince(since);
            }
            cmd.exec(callback);
        } catch (RuntimeException e) {
            if (callback.isCurrent()) {
                lost(e);
            }
            return;
        }
        // Connected (the request is sent); exits missed while we were away are found by inspection.
        try {
            docker.pingCmd().exec();
            synchronized (lock) {
                retryMillis = 1000;
            }
        } catch (RuntimeException e) {
            LOG.debug("ping of {} failed: {}", where, e.toString());
            return; // the stream fails too and schedules the next attempt
        }
        if (everFailed) {
            LOG.info("Docker event stream of {} reconnected; resynchronizing", where);
        }
        try {
            resync.run();
        } catch (RuntimeException e) {
            LOG.warn("resync after connecting to {} failed: {}", where, e.toString());
        }
    }

    private void lost(Throwable e) {
        if (closed) {
            return;
        }
        everFailed = true;
        long wait;
        synchronized (lock) {
            if (reconnecting) {
                return;
            }
            reconnecting = true;
            wait = retryMillis;
            retryMillis = Math.min(10_000, retryMillis * 2);
        }
        LOG.warn("Docker event stream of {} lost ({}); reconnecting in {} ms", where,
                e == null ? "ended" : e.toString(), wait);
        try {
            executor.schedule(this::connect, wait, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException ignored) {
            // closed meanwhile
        }
    }

    private final class Callback extends ResultCallback.Adapter<Event> {
        /** True (once) when this is the current stream, which it then stops being. */
        private boolean isCurrent() {
            synchronized (lock) {
                if (stream != this) {
                    return false;
                }
                stream = null;
                return true;
            }
        }

        @Override
        public void onNext(Event event) {
            synchronized (lock) {
                retryMillis = 1000;
                if (event.getTimeNano() != null) {
                    long nanos = event.getTimeNano();
                    lastEventTime = (nanos / 1_000_000_000L) + "." + String.format("%09d", nanos % 1_000_000_000L);
                } else if (event.getTime() != null) {
                    lastEventTime = Long.toString(event.getTime());
                }
            }
            String action = event.getAction() != null ? event.getAction() : event.getStatus();
            if (!"die".equals(action) || event.getId() == null) {
                return;
            }
            int code = ExitInfo.UNKNOWN;
            Map<String, String> attrs = event.getActor() == null ? null : event.getActor().getAttributes();
            if (attrs != null && attrs.get("exitCode") != null) {
                try {
                    code = Integer.parseInt(attrs.get("exitCode"));
                } catch (NumberFormatException e) {
                    LOG.debug("odd exitCode in a die event: {}", attrs.get("exitCode"));
                }
            }
            try {
                died.died(event.getId(), code, null);
            } catch (RuntimeException e) {
                LOG.warn("handling the exit of container {} failed: {}", event.getId(), e.toString(), e);
            }
        }

        @Override
        public void onError(Throwable throwable) {
            // not super.onError: it logs an ERROR with a stack trace; a lost stream is expected and retried
            try {
                close();
            } catch (IOException e) {
                LOG.debug("closing the failed event stream: {}", e.toString());
            }
            if (!closed && isCurrent()) {
                executor.execute(() -> lost(throwable));
            }
        }

        @Override
        public void onComplete() {
            super.onComplete();
            if (!closed && isCurrent()) {
                executor.execute(() -> lost(null));
            }
        }
    }

    /** For tests: drops the current stream as a lost connection would, so the watcher reconnects. */
    void dropStream() {
        Closeable s;
        synchronized (lock) {
            s = stream;
            stream = null;
        }
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("closing the event stream failed: {}", e.toString());
            }
        }
        executor.execute(() -> lost(null));
    }

    /** Whether a stream is open (connected or connecting). */
    boolean connected() {
        synchronized (lock) {
            return stream != null;
        }
    }

    @Override
    public void close() {
        closed = true;
        Closeable s;
        synchronized (lock) {
            s = stream;
            stream = null;
        }
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("closing the event stream failed: {}", e.toString());
            }
        }
        executor.shutdownNow();
    }
}
