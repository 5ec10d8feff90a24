package dev.berth.spi;

import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The cluster as the scheduler sees it at one moment: each node, whether it is up, and what runs
 * on it. Immutable.
 *
 * @param nodes the nodes, in a stable order
 */
public record ClusterSnapshot(List<NodeState> nodes) {
    public ClusterSnapshot {
        nodes = List.copyOf(nodes);
    }

    /**
     * One node and its allocations.
     *
     * @param spec        the node
     * @param up          whether it accepts instances
     * @param allocations what already runs (or is placed) there
     */
    public record NodeState(NodeSpec spec, boolean up, List<Allocation> allocations) {
        public NodeState {
            Objects.requireNonNull(spec, "spec");
            allocations = List.copyOf(allocations);
        }

        /** The sum of the allocations' resources. */
        public Resources allocated() {
            Resources sum = Resources.none();
            for (Allocation a : allocations) {
                sum = sum.plus(a.resources());
            }
            return sum;
        }

        /** How many instances of {@code app} run here. */
        public int count(String app) {
            int n = 0;
            for (Allocation a : allocations) {
                if (a.app().equals(app)) {
                    n++;
                }
            }
            return n;
        }
    }

    /**
     * One instance's share of a node.
     *
     * @param app        the app
     * @param instanceId the instance
     * @param resources  what it takes
     */
    public record Allocation(String app, String instanceId, Resources resources) {
        public Allocation {
            Objects.requireNonNull(app, "app");
            Objects.requireNonNull(instanceId, "instanceId");
            Objects.requireNonNull(resources, "resources");
        }
    }

    /** A snapshot of empty, up nodes. */
    public static ClusterSnapshot of(List<NodeSpec> nodes) {
        return new ClusterSnapshot(nodes.stream().map(n -> new NodeState(n, true, List.of())).toList());
    }

    /** The nodes by id, for lookups. */
    public Map<String, NodeState> byId() {
        Map<String, NodeState> map = new java.util.LinkedHashMap<>();
        nodes.forEach(n -> map.put(n.spec().id(), n));
        return map;
    }
}
