package dev.berth.api;

import java.util.EnumSet;
import java.util.Set;

/**
 * The life of an instance, as the reconciler tracks it. An enum: immutable and thread-safe.
 *
 * <pre>
 *   PENDING ──> STARTING ──> RUNNING ──> HEALTHY <──> UNHEALTHY
 *      ^           │            │           │            │
 *      │           └────────────┴─────┬─────┴────────────┘
 *      │                              v
 *      └──────── (back-off) ──── EXITED          any live state ──> STOPPING ──> STOPPED
 * </pre>
 *
 * <ul>
 *   <li>{@code PENDING}: wanted but not started yet (placed, or waiting out a respawn delay);</li>
 *   <li>{@code STARTING}: the backend is starting it (setup may run first);</li>
 *   <li>{@code RUNNING}: the process runs but is not ready yet: it has not accepted a connection
 *       on its endpoint (no health check) or passed its health check; not routed, not counted
 *       by a rollout;</li>
 *   <li>{@code HEALTHY} / {@code UNHEALTHY}: ready and the last probes passed / failed; only
 *       healthy instances are routed to, and an unhealthy one past the threshold is replaced;</li>
 *   <li>{@code EXITED}: it died; it is respawned after the restart policy's delay;</li>
 *   <li>{@code STOPPING} / {@code STOPPED}: stopped on purpose; a stopped instance stays stopped.</li>
 * </ul>
 */
public enum InstanceState {
    PENDING, STARTING, RUNNING, HEALTHY, UNHEALTHY, EXITED, STOPPING, STOPPED;

    /** The states this one may move to. */
    public Set<InstanceState> next() {
        return switch (this) {
            case PENDING -> EnumSet.of(STARTING, STOPPED);
            case STARTING -> EnumSet.of(RUNNING, HEALTHY, EXITED, STOPPING, STOPPED);
            case RUNNING -> EnumSet.of(HEALTHY, UNHEALTHY, EXITED, STOPPING);
            case HEALTHY -> EnumSet.of(UNHEALTHY, EXITED, STOPPING);
            case UNHEALTHY -> EnumSet.of(HEALTHY, EXITED, STOPPING);
            case EXITED -> EnumSet.of(PENDING, STARTING, STOPPED);
            case STOPPING -> EnumSet.of(STOPPED, EXITED);
            case STOPPED -> EnumSet.of(PENDING, STARTING);
        };
    }

    /** Whether moving to {@code target} is allowed. */
    public boolean canBecome(InstanceState target) {
        return next().contains(target);
    }

    /** Whether a process is (believed to be) running in this state. */
    public boolean isLive() {
        return this == STARTING || this == RUNNING || this == HEALTHY || this == UNHEALTHY || this == STOPPING;
    }
}
