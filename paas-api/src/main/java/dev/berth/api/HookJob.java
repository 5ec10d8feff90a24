// One job of the hook queue: an instance of an app became ready (UP) or stopped being so (DOWN).
package dev.berth.api;

import java.time.Instant;
import java.util.Objects;

/**
 * What a hook module is told: {@link Type#UP} when an instance became ready (routable, with its
 * endpoint and node), {@link Type#DOWN} when it stopped being so, with the reason. Jobs are
 * delivered at least once: a retried job keeps its {@link #id}, so a receiver can drop repeats.
 * Immutable.
 *
 * @param id       the job's id, the same on every retry (for dedupe)
 * @param type     UP or DOWN
 * @param app      the app
 * @param instance the instance's id, which a module is idempotent by
 * @param release  the instance's release, or null when no longer known
 * @param node     the node it runs (ran) on, or null when no longer known
 * @param endpoint its host:port, or null (an instance without a port, or a DOWN not knowing it)
 * @param reason   why it went DOWN ({@code stopped}, {@code exited}, {@code lost}, {@code replaced},
 *                 {@code unhealthy}, {@code removed}, {@code sync}); null for UP
 * @param at       when the platform saw the change
 */
public record HookJob(String id, Type type, String app, String instance, String release, String node, String endpoint,
                      String reason, Instant at) {
    /** Whether an instance became ready or stopped being so. */
    public enum Type {
        /** It became ready: routed to. */
        UP,
        /** It stopped being ready: stopped, exited, lost, replaced, unhealthy or removed. */
        DOWN
    }

    /** A job; id, type, app, instance and at are required. */
    public HookJob {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(at, "at");
    }
}
