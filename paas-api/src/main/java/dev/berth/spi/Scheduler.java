package dev.berth.spi;

import dev.berth.api.Constraints;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decides which node each new instance goes on. A pure function: it reads an immutable
 * {@link ClusterSnapshot} and returns a {@link Placement}, with no I/O and no clock, the same
 * output for the same input. Requests it cannot place come back as {@link Placement.Unplaced}
 * with a reason, never as an exception. Implementations must be thread-safe.
 */
public interface Scheduler {

    /** Places {@code requests} on {@code snapshot}, taking its existing allocations into account. */
    Placement place(ClusterSnapshot snapshot, List<PlacementRequest> requests);

    /**
     * The re-placement plan for a node that went down: each allocation it held is placed on the
     * other up nodes, and nothing else moves. Request {@code i} of the result is the node's
     * {@code i}-th allocation (in snapshot order), each one instance with its allocation's
     * resources and its app's constraints from {@code constraints} (none when absent).
     *
     * @throws IllegalArgumentException when the snapshot has no node {@code downNode}
     */
    default Placement evacuate(ClusterSnapshot snapshot, String downNode, Map<String, Constraints> constraints) {
        ClusterSnapshot.NodeState down = snapshot.byId().get(downNode);
        if (down == null) {
            throw new IllegalArgumentException("node '" + downNode + "' is not in the snapshot");
        }
        List<ClusterSnapshot.NodeState> rest = new ArrayList<>();
        for (ClusterSnapshot.NodeState n : snapshot.nodes()) {
            rest.add(n == down ? new ClusterSnapshot.NodeState(n.spec(), false, List.of()) : n);
        }
        List<PlacementRequest> requests = new ArrayList<>();
        for (ClusterSnapshot.Allocation a : down.allocations()) {
            requests.add(PlacementRequest.of(a.app(), a.resources(), constraints.getOrDefault(a.app(), Constraints.none()), 1));
        }
        return place(new ClusterSnapshot(rest), requests);
    }

    /** How nodes are chosen among the feasible ones. */
    enum Strategy {
        /** Fill the fullest node that fits: fewest nodes used. */
        PACK,
        /** Take the least loaded node: balance (Mako's {@code load}). */
        SPREAD
    }
}
