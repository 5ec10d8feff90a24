package dev.berth.core.internal.scheduler;

/**
 * Ranks a feasible node for an ask: higher is better. A pipeline compares its scorers in order,
 * each one only breaking the ties of those before it. A pure function; implementations are
 * immutable and thread-safe.
 */
interface Scorer {

    /** A short name for logs and pipeline descriptions, e.g. {@code "most-allocated"}. */
    String name();

    /** The score of placing one instance of {@code ask} on {@code node}; higher is better. */
    double score(NodeView node, Ask ask);
}
