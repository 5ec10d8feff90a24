// How long the control loop's placements and the router's applies have taken since the platform started.
package dev.berth.api;

/**
 * Counters of the control loop's own work since the platform started, read at any time (a
 * metrics exporter polls them): each call of the scheduler that placed instances, and each
 * routing table handed to the router. Immutable snapshot.
 *
 * @param placements    the scheduler's calls of the loop's passes (not plans)
 * @param routerApplies the router's applies of a new table, failed ones included
 */
public record PlatformStats(Timing placements, Timing routerApplies) {
    /**
     * How many, how long in all, and the longest.
     *
     * @param count      how many
     * @param totalNanos their total duration in nanoseconds
     * @param maxNanos   the longest one in nanoseconds, or 0
     */
    public record Timing(long count, long totalNanos, long maxNanos) {
        /** None yet. */
        public static final Timing NONE = new Timing(0, 0, 0);
    }
}
