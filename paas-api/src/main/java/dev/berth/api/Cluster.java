package dev.berth.api;

import java.util.List;

/** The nodes of a platform and what is free on each. Thread-safe. */
public interface Cluster {

    /** Every node, with its allocation as the control loop last saw it. */
    List<Node> nodes();

    /**
     * One node's state.
     *
     * @param spec      the node
     * @param up        whether it accepts instances
     * @param allocated the sum of its instances' resources
     * @param free      capacity minus allocation, per declared dimension, never below zero
     * @param instances how many instances it holds
     */
    record Node(NodeSpec spec, boolean up, Resources allocated, Resources free, int instances) {
    }
}
