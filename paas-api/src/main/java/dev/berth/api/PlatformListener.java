package dev.berth.api;

/**
 * Told of every {@link PlatformEvent}. Called on the platform's single event thread
 * ({@code berth-events}), one event at a time, in order, after the platform's view shows the
 * event's effect; so an implementation needs no locking of its own unless it shares state with
 * other threads. It must not block for long: later events wait. A listener that throws is logged
 * and does not stop others.
 */
@FunctionalInterface
public interface PlatformListener {
    /** Told of one event; must not block. */
    void onEvent(PlatformEvent event);
}
