package dev.berth.core.internal.scheduler;

import dev.berth.spi.ClusterSnapshot;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test fake: builds {@link ClusterSnapshot}s node by node, in order. */
final class Clusters {

    private final List<ClusterSnapshot.NodeState> nodes = new ArrayList<>();
    private final List<List<ClusterSnapshot.Allocation>> allocations = new ArrayList<>();
    private int instanceIds;

    private Clusters() {
    }

    static Clusters cluster() {
        return new Clusters();
    }

    /** Cpu and memory only. */
    static Resources res(double cpu, double memoryMb) {
        return Resources.of(cpu, memoryMb);
    }

    /** An up node. */
    Clusters node(String id, Resources capacity) {
        return node(id, capacity, Map.of(), true);
    }

    /** An up node with labels. */
    Clusters node(String id, Resources capacity, Map<String, String> labels) {
        return node(id, capacity, labels, true);
    }

    /** A node that is not up. */
    Clusters down(String id, Resources capacity) {
        return node(id, capacity, Map.of(), false);
    }

    Clusters node(String id, Resources capacity, Map<String, String> labels, boolean up) {
        nodes.add(new ClusterSnapshot.NodeState(new NodeSpec(id, capacity, labels), up, List.of()));
        allocations.add(new ArrayList<>());
        return this;
    }

    /** {@code count} instances of {@code app} already running on the last node added. */
    Clusters running(String app, int count, Resources each) {
        for (int i = 0; i < count; i++) {
            allocations.get(allocations.size() - 1).add(new ClusterSnapshot.Allocation(app, app + "-" + instanceIds++, each));
        }
        return this;
    }

    ClusterSnapshot build() {
        List<ClusterSnapshot.NodeState> states = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            ClusterSnapshot.NodeState n = nodes.get(i);
            states.add(new ClusterSnapshot.NodeState(n.spec(), n.up(), allocations.get(i)));
        }
        return new ClusterSnapshot(states);
    }
}
