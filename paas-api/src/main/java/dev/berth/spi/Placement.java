package dev.berth.spi;

import java.util.List;
import java.util.Objects;

/**
 * A scheduler's answer: where each placed instance goes, and for each request what could not be
 * placed and why. Immutable.
 *
 * @param assignments one per placed instance
 * @param unplaced    one per request that was not fully placed
 */
public record Placement(List<Assignment> assignments, List<Unplaced> unplaced) {
    public Placement {
        assignments = List.copyOf(assignments);
        unplaced = List.copyOf(unplaced);
    }

    /**
     * One instance of {@code app} goes on {@code node}.
     *
     * @param request the index of the request in the input list
     * @param app     the app
     * @param node    the node id
     */
    public record Assignment(int request, String app, String node) {
        public Assignment {
            Objects.requireNonNull(app, "app");
            Objects.requireNonNull(node, "node");
        }
    }

    /**
     * {@code count} instances of request {@code request} found no node.
     *
     * @param request the index of the request in the input list
     * @param app     the app
     * @param count   how many were not placed
     * @param reason  why, for a person: "no node has 64.0 cpu free (largest free: 3.5)"
     */
    public record Unplaced(int request, String app, int count, String reason) {
        public Unplaced {
            Objects.requireNonNull(app, "app");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
