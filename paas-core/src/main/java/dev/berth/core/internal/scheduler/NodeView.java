package dev.berth.core.internal.scheduler;

import java.util.Map;

/**
 * What filters and scorers may read about one node during a placement: its spec, whether it is up,
 * and what it holds so far (the snapshot's allocations plus the instances placed earlier in the
 * same call). Capacities are only known for the dimensions the node declares; any other
 * dimension is unlimited on the node.
 */
interface NodeView {

    /** The node id. */
    String id();

    /** Whether the node accepts instances. */
    boolean up();

    /** The node's labels. */
    Map<String, String> labels();

    /** How many dimensions the node declares, in name order. */
    int dimensions();

    /** The name of declared dimension {@code i}. */
    String dimension(int i);

    /** The capacity in declared dimension {@code i}. */
    double capacity(int i);

    /** What is allocated in declared dimension {@code i}, this call's placements included. */
    double allocated(int i);

    /** How many instances of {@code app} the node holds, this call's placements included. */
    int count(String app);

    /** How many instances of any app the node holds, this call's placements included. */
    int instances();

    /**
     * How much declared dimension {@code i} counts in a weighted score: the share of the
     * dimension's capacity that the call's requests ask for, so that the scarcest dimension
     * weighs most; all 1 when there is no such information.
     */
    double weight(int i);

    /**
     * What the call's typical instance (the mean over the batch) asks for in declared dimension
     * {@code i}; 0 when there is no such information.
     */
    double typical(int i);

    /** Capacity minus allocation in declared dimension {@code i}; negative when over-committed. */
    default double free(int i) {
        return capacity(i) - allocated(i);
    }
}
