// The cluster as the scheduler sees it, kept node by node between placements: only changed nodes are rebuilt.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.ClusterSnapshot;
import dev.berth.api.NodeSpec;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@link ClusterSnapshot.NodeState} of every node as of the last placement, kept between
 * passes: a snapshot rebuilds only the nodes whose instances (or their apps) changed since, and
 * reuses the others as they are (the same objects, so a scheduler may also keep what it derived
 * from them). After {@link #markAll} (a resync, a node going down or up) every node is rebuilt.
 * Not thread-safe: loop thread only.
 */
final class NodeStates {
    private List<NodeSpec> nodes;
    private ClusterSnapshot.NodeState[] states;
    private final Map<String, Integer> position = new HashMap<>();
    private boolean all = true;

    /** Every node is rebuilt by the next snapshot. */
    void markAll() {
        all = true;
    }

    /**
     * The snapshot of {@code nodes}, rebuilding with {@code build} the nodes in {@code changed}
     * (and all of them after {@link #markAll}, or when the node list is another one).
     */
    ClusterSnapshot snapshot(List<NodeSpec> nodes, Collection<String> changed,
                             Function<NodeSpec, ClusterSnapshot.NodeState> build) {
        if (all || nodes != this.nodes) {
            this.nodes = nodes;
            states = new ClusterSnapshot.NodeState[nodes.size()];
            position.clear();
            for (int i = 0; i < states.length; i++) {
                states[i] = build.apply(nodes.get(i));
                position.put(nodes.get(i).id(), i);
            }
            all = false;
        } else {
            for (String node : changed) {
                Integer i = position.get(node);
                if (i != null) {
                    states[i] = build.apply(nodes.get(i));
                }
            }
        }
        return new ClusterSnapshot(Arrays.asList(states));
    }
}
