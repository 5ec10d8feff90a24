package dev.berth.api;

import java.util.Map;

/**
 * A node of the cluster: where instances can run, what it offers, and labels that constraints
 * can select on. Immutable.
 *
 * @param id       1-63 of A-Z a-z 0-9 . _ -, unique in the cluster
 * @param capacity what the node offers, each amount at most {@link Resources#MAX_AMOUNT}; dimensions it
 *                 does not name are unlimited
 * @param labels   free-form key/value labels, e.g. {@code zone=a}
 */
public record NodeSpec(String id, Resources capacity, Map<String, String> labels) {
    public NodeSpec {
        if (id == null || !Checks.NODE_ID.matcher(id).matches()) {
            throw new InvalidSpecException("node.id", id, "must be 1-63 of A-Z a-z 0-9 . _ -, starting with a letter or digit");
        }
        Resources.checkCeiling("node.capacity", Checks.notNull("node.capacity", capacity));
        labels = Checks.labels("node.labels", labels);
    }

    /** A node with the given capacity and no labels. */
    public static NodeSpec of(String id, Resources capacity) {
        return new NodeSpec(id, capacity, Map.of());
    }
}
