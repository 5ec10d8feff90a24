package dev.berth.api;

/**
 * Told of every {@link PlatformEvent}. Called on the platform's event thread, one event at a time,
 * in order; a listener that throws is logged and does not stop others.
 */
@FunctionalInterface
public interface PlatformListener {
    void onEvent(PlatformEvent event);
}
