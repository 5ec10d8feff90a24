package dev.berth.core.internal.scheduler;

/**
 * Chooses, for one ask, among the first few feasible nodes in the pipeline's order: higher is
 * better; the pipeline compares its tie-breakers in order, each breaking the ties of those before,
 * then keeps the order. Only a bounded window of nodes is looked at (like Nomad's limit
 * iterator), so that the choice never costs a scan of the cluster. A pure function;
 * implementations are immutable and thread-safe.
 */
interface TieBreaker {

    /** A short name for logs and pipeline descriptions, e.g. {@code "fewest-of-app"}. */
    String name();

    /** The score of placing one instance of {@code ask} on {@code node}; higher is better. */
    double score(NodeView node, Ask ask);
}
