// Delivers platform events to listeners in the order they were published, off the control loop.
package dev.berth.core.internal.reconcile;

import dev.berth.api.PlatformEvent;
import dev.berth.api.PlatformListener;
import dev.berth.core.internal.text.EventTexts;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to listeners on one thread, in the order they were published, so a slow
 * listener never stalls the control loop. Thread-safe.
 */
public final class EventBus implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventBus.class);

    private final List<PlatformListener> listeners = new CopyOnWriteArrayList<>();
    /** The bus's own thread, or null when events go to a given executor. */
    private final ExecutorService thread;
    private final Executor delivery;

    /** A bus with its own delivery thread. */
    public EventBus() {
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "berth-events");
            t.setDaemon(true);
            return t;
        });
        this.delivery = thread;
    }

    /** A bus delivering on {@code delivery}, which must run tasks one at a time in order (a test's stepped loop, say). */
    EventBus(Executor delivery) {
        this.thread = null;
        this.delivery = delivery;
    }

    public void add(PlatformListener listener) {
        listeners.add(listener);
    }

    public void remove(PlatformListener listener) {
        listeners.remove(listener);
    }

    /** Hands {@code published} to every listener, in order, on the bus's thread; after {@link #close} it is dropped. */
    public void publish(PlatformEvent published) {
        PlatformEvent event = EventTexts.capped(published); // backend output is capped in bytes before anyone sees it
        log.debug("event {}", event);
        try {
            deliver(event);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("event after the bus closed, not delivered: {}", event); // a backend's late build output, say
        }
    }

    private void deliver(PlatformEvent event) {
        delivery.execute(() -> {
            for (PlatformListener l : listeners) {
                try {
                    l.onEvent(event);
                } catch (RuntimeException e) {
                    log.warn("listener {} failed on {}", l, event, e);
                }
            }
        });
    }

    /** Delivers what was published, then stops. */
    @Override
    public void close() {
        if (thread == null) {
            return;
        }
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
