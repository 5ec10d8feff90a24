package dev.berth.api;

import java.util.List;

/**
 * Decides which node each new instance goes on. A pure function: it reads an immutable
 * {@link ClusterSnapshot} and returns a {@link Placement}, with no I/O and no clock, the same
 * output for the same input. Requests it cannot place come back as {@link Placement.Unplaced}
 * with a reason, never as an exception. Implementations must be thread-safe.
 */
public interface Scheduler {

    /** Places {@code requests} on {@code snapshot}, taking its existing allocations into account. */
    Placement place(ClusterSnapshot snapshot, List<PlacementRequest> requests);

    /** How nodes are chosen among the feasible ones. */
    enum Strategy {
        /** Fill the fullest node that fits: fewest nodes used. */
        PACK,
        /** Take the least loaded node: balance (Mako's {@code load}). */
        SPREAD
    }
}
