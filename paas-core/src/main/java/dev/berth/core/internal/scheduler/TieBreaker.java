package dev.berth.core.internal.scheduler;

/**
 * Prefers one of the feasible nodes that tie on the pipeline's first scorer, for one ask: higher
 * is better. Only a bounded window of tied nodes is looked at (like Nomad's limit iterator), so
 * that a tie across the whole cluster does not cost a scan of it. A pure function;
 * implementations are immutable and thread-safe.
 */
interface TieBreaker {

    /** A short name for logs and pipeline descriptions, e.g. {@code "fewest-of-app"}. */
    String name();

    /** The score of placing one instance of {@code ask} on {@code node}; higher is better. */
    double score(NodeView node, Ask ask);

    /** The highest score this tie-breaker ever gives: a node that has it needs no comparison. */
    double best();
}
