package dev.berth.core.internal.scheduler;

import dev.berth.api.ClusterSnapshot;
import dev.berth.api.Resources;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The scheduler's private, mutable working copy of one node: the snapshot's allocations, to which
 * each instance placed during a call is added so that later placements see it. Created per call
 * and confined to it; not thread-safe, never shared.
 */
final class WorkingNode implements NodeView {
    private final int index;
    private final ClusterSnapshot.NodeState state;
    private final String[] dimensions;
    private final double[] capacity;
    private final double[] allocated;
    private final Map<String, Integer> perApp = new HashMap<>();
    private int instances;

    private WorkingNode(int index, ClusterSnapshot.NodeState state) {
        this.index = index;
        this.state = state;
        Map<String, Double> declared = state.spec().capacity().amounts();
        this.dimensions = declared.keySet().toArray(new String[0]);
        this.capacity = new double[dimensions.length];
        this.allocated = new double[dimensions.length];
        for (int i = 0; i < dimensions.length; i++) {
            capacity[i] = declared.get(dimensions[i]);
        }
        for (ClusterSnapshot.Allocation a : state.allocations()) {
            add(a.app(), a.resources());
        }
    }

    /**
     * Working copies of every node of {@code snapshot}, in its order.
     *
     * @throws IllegalArgumentException if two nodes share an id
     */
    static List<WorkingNode> copyOf(ClusterSnapshot snapshot) {
        List<WorkingNode> nodes = new ArrayList<>(snapshot.nodes().size());
        Set<String> ids = new HashSet<>();
        for (ClusterSnapshot.NodeState state : snapshot.nodes()) {
            if (!ids.add(state.spec().id())) {
                throw new IllegalArgumentException("snapshot lists node " + state.spec().id() + " twice");
            }
            nodes.add(new WorkingNode(nodes.size(), state));
        }
        return nodes;
    }

    /** Records one more instance of {@code app} taking {@code resources} here. */
    void add(String app, Resources resources) {
        for (int i = 0; i < dimensions.length; i++) {
            allocated[i] += resources.get(dimensions[i]);
        }
        perApp.merge(app, 1, Integer::sum);
        instances++;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public String id() {
        return state.spec().id();
    }

    @Override
    public boolean up() {
        return state.up();
    }

    @Override
    public Map<String, String> labels() {
        return state.spec().labels();
    }

    @Override
    public int dimensions() {
        return dimensions.length;
    }

    @Override
    public String dimension(int i) {
        return dimensions[i];
    }

    @Override
    public double capacity(int i) {
        return capacity[i];
    }

    @Override
    public double allocated(int i) {
        return allocated[i];
    }

    @Override
    public int count(String app) {
        return perApp.getOrDefault(app, 0);
    }

    @Override
    public int instances() {
        return instances;
    }

    @Override
    public String toString() {
        return "WorkingNode[" + id() + (up() ? "" : " down") + ", " + instances + " instances]";
    }
}
