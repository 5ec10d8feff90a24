package dev.berth.api;

import java.util.Map;

/**
 * Where an app's instances may run: at most one per node ({@code uniqueHost}), at most
 * {@code maxPerNode} per node (0 = no limit), and only on nodes carrying all of
 * {@code nodeLabels}. Immutable.
 *
 * @param uniqueHost  at most one instance of the app per node
 * @param maxPerNode  at most this many instances of the app per node; 0 means no limit
 * @param nodeLabels  labels a node must carry, key = value
 */
public record Constraints(boolean uniqueHost, int maxPerNode, Map<String, String> nodeLabels) {
    private static final Constraints NONE = new Constraints(false, 0, Map.of());

    public Constraints {
        if (maxPerNode < 0 || maxPerNode > Instances.MAX) {
            throw new InvalidSpecException("constraints.maxPerNode", maxPerNode, "must be 0 (no limit) to " + Instances.MAX);
        }
        nodeLabels = Checks.labels("constraints.nodeLabels", nodeLabels);
    }

    /** No constraint. */
    public static Constraints none() {
        return NONE;
    }

    /** The largest number of the app's instances one node may hold. */
    public int perNodeLimit() {
        if (uniqueHost) {
            return 1;
        }
        return maxPerNode == 0 ? Integer.MAX_VALUE : maxPerNode;
    }

    /** Whether a node with these labels is eligible. */
    public boolean admits(Map<String, String> labels) {
        for (Map.Entry<String, String> e : nodeLabels.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** A copy with at most one instance per node, or not. */
    public Constraints withUniqueHost(boolean unique) {
        return new Constraints(unique, maxPerNode, nodeLabels);
    }

    /** A copy with at most {@code max} instances per node (0: no limit). */
    public Constraints withMaxPerNode(int max) {
        return new Constraints(uniqueHost, max, nodeLabels);
    }

    /** A copy placing only on nodes with all these labels. */
    public Constraints withNodeLabels(Map<String, String> labels) {
        return new Constraints(uniqueHost, maxPerNode, labels);
    }
}
