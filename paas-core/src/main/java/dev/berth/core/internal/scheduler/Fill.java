package dev.berth.core.internal.scheduler;

/**
 * Where a bin-centric stage ({@link BinCompletion}, {@link DotProductFill}) puts one instance of a
 * demand class on a node; the engine records it, updates the working copy and its indexes, and
 * picks which shape of the class the instance belongs to.
 */
@FunctionalInterface
interface Fill {
    /** Places one instance of demand class {@code demandClass} on node {@code node}. */
    void place(int demandClass, int node);
}
