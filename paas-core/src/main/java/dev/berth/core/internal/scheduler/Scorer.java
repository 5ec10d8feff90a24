package dev.berth.core.internal.scheduler;

/**
 * Ranks a node: higher is better. A pipeline compares its scorers in order, each one only
 * breaking the ties of those before it. A scorer reads the node alone, not the ask, so that the
 * nodes can be kept sorted by score in a {@link NodeIndex} and the best feasible node found
 * without scoring them all; ask-dependent preferences are {@link TieBreaker}s. A pure function;
 * implementations are immutable and thread-safe.
 */
interface Scorer {

    /** A short name for logs and pipeline descriptions, e.g. {@code "most-allocated"}. */
    String name();

    /** The score of {@code node} as it is now; higher is better. */
    double score(NodeView node);

    /** Whether the score reads the batch's {@link NodeView#weight}s (if not, ranks outlive a change of them). */
    default boolean readsWeights() {
        return true;
    }

    /** Whether the score reads the batch's {@link NodeView#typical} demand. */
    default boolean readsTypical() {
        return true;
    }
}
