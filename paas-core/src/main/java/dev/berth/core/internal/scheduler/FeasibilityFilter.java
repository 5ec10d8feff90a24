package dev.berth.core.internal.scheduler;

import java.util.Optional;

/**
 * One stage of feasibility: may this node take one more instance? A pure function of the node's
 * current working state and the ask. Implementations are immutable and thread-safe.
 */
interface FeasibilityFilter {

    /** A short name for logs and pipeline descriptions, e.g. {@code "fits-capacity"}. */
    String name();

    /** Empty when {@code node} may take one more instance for {@code ask}, else why not. */
    Optional<Rejection> check(NodeView node, Ask ask);
}
