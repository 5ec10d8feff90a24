// The cluster as the scheduler sees it, kept node by node between placements: only changed nodes are rebuilt.
package dev.berth.core.internal.reconcile;

import dev.berth.api.ClusterSnapshot;
import dev.berth.api.NodeSpec;
import java.util.ArrayList;
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
    private final Map<String, ClusterSnapshot.NodeState> byNode = new HashMap<>();
    private boolean all = true;

    /** Every node is rebuilt by the next snapshot. */
    void markAll() {
        all = true;
    }

    /**
     * The snapshot of {@code nodes}, rebuilding with {@code build} the nodes in {@code changed}
     * (and all of them after {@link #markAll}).
     */
    ClusterSnapshot snapshot(List<NodeSpec> nodes, Collection<String> changed,
                             Function<NodeSpec, ClusterSnapshot.NodeState> build) {
        if (all) {
            byNode.clear();
            all = false;
        } else {
            changed.forEach(byNode::remove);
        }
        List<ClusterSnapshot.NodeState> out = new ArrayList<>(nodes.size());
        for (NodeSpec n : nodes) {
            out.add(byNode.computeIfAbsent(n.id(), k -> build.apply(n)));
        }
        return new ClusterSnapshot(out);
    }
}
