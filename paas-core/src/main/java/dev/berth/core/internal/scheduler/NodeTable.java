package dev.berth.core.internal.scheduler;

import dev.berth.spi.ClusterSnapshot;
import dev.berth.api.Resources;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The scheduler's private, mutable working copy of a snapshot, as primitive arrays: per node and
 * dimension the capacity and what is allocated (the snapshot's allocations plus the instances
 * placed during this call), per node the number of instances and its rank (the pipeline's
 * scores, quantised), and per (app, node) the number of the app's instances. Dimensions are the
 * union of those the nodes declare, in name order; a node's undeclared dimension has capacity
 * {@code +Infinity} there, so it never limits. Built once and kept between calls by
 * {@link KeptNodes}, which replaces the rows of the nodes that changed ({@link #replace}); a call
 * undoes its own placements through an {@link UndoLog}. Confined to one call at a time; not
 * thread-safe.
 */
final class NodeTable {
    /** Scores are compared on this grid (so that rounding noise does not break ties). */
    private static final double RANK_SCALE = 1e9;

    private final ClusterSnapshot.NodeState[] states;
    private final String[] dimensions;
    private final Map<String, Integer> dimensionIndex = new HashMap<>();
    private final int dims;
    private final double[] capacity;
    private final double[] allocated;
    private final int[][] declared;
    private final int[] instances;
    private final Map<String, Integer> apps = new HashMap<>();
    private final AppCounts counts = new AppCounts();
    private final List<Scorer> rankers;
    private final long[] rank;
    private final Row[] views;
    private final double[] weights;
    private final double[] typical;
    /** Whether {@link #rankAll} has run: the ranks follow {@link #weights} and {@link #typical}. */
    private boolean ranked;

    /**
     * The working copy of {@code snapshot}, ranked by {@code rankers}.
     *
     * @throws IllegalArgumentException if two nodes share an id
     */
    NodeTable(ClusterSnapshot snapshot, List<Scorer> rankers) {
        List<ClusterSnapshot.NodeState> nodes = snapshot.nodes();
        int size = nodes.size();
        this.states = nodes.toArray(new ClusterSnapshot.NodeState[0]);
        Set<String> ids = new HashSet<>();
        TreeSet<String> names = new TreeSet<>();
        for (ClusterSnapshot.NodeState state : states) {
            if (!ids.add(state.spec().id())) {
                throw new IllegalArgumentException("snapshot lists node " + state.spec().id() + " twice");
            }
            names.addAll(state.spec().capacity().amounts().keySet());
        }
        this.dimensions = names.toArray(new String[0]);
        this.dims = dimensions.length;
        for (int d = 0; d < dims; d++) {
            dimensionIndex.put(dimensions[d], d);
        }
        this.capacity = new double[size * dims];
        this.allocated = new double[size * dims];
        this.declared = new int[size][];
        this.instances = new int[size];
        this.rankers = List.copyOf(rankers);
        this.rank = new long[size * this.rankers.size()];
        this.views = new Row[size];
        Arrays.fill(capacity, Double.POSITIVE_INFINITY);
        double[] demand = new double[dims];
        for (int n = 0; n < size; n++) {
            Map<String, Double> caps = states[n].spec().capacity().amounts();
            int[] own = new int[caps.size()];
            int i = 0;
            for (Map.Entry<String, Double> e : caps.entrySet()) {
                int d = dimensionIndex.get(e.getKey());
                own[i++] = d;
                capacity[n * dims + d] = e.getValue();
            }
            declared[n] = own;
            views[n] = new Row(n);
            for (ClusterSnapshot.Allocation a : states[n].allocations()) {
                add(n, appId(a.app()), demand(a.resources(), demand));
            }
        }
        this.weights = new double[dims];
        Arrays.fill(weights, 1);
        this.typical = new double[dims];
    }

    /**
     * Sets how much each (union) dimension counts in the weighted scores (see
     * {@link NodeView#weight}) and the typical demand ({@link NodeView#typical}), and ranks every node; call once, before any index is built.
     */
    void rankAll(double[] weights, double[] typical) {
        batch(weights, typical);
        for (int n = 0; n < states.length; n++) {
            rerank(n);
        }
        ranked = true;
    }

    /** Sets the batch's weights and typical demand without re-ranking: see {@link #rankedWith}. */
    void batch(double[] weights, double[] typical) {
        System.arraycopy(weights, 0, this.weights, 0, dims);
        System.arraycopy(typical, 0, this.typical, 0, dims);
    }

    /** Whether the ranks are those these weights and typical demand give (they are when the rankers do not read them). */
    boolean rankedWith(double[] weights, double[] typical) {
        boolean readsWeights = false;
        boolean readsTypical = false;
        for (Scorer ranker : rankers) {
            readsWeights |= ranker.readsWeights();
            readsTypical |= ranker.readsTypical();
        }
        return ranked && (!readsWeights || Arrays.equals(weights, this.weights))
                && (!readsTypical || Arrays.equals(typical, this.typical));
    }

    /** Whether {@code state} is of node {@code n}'s spec (the same id, capacity and labels). */
    boolean sameSpec(int n, ClusterSnapshot.NodeState state) {
        return state.spec() == states[n].spec() || state.spec().equals(states[n].spec());
    }

    /**
     * Makes node {@code n}'s row that of {@code state} (a node of the same spec), summing its
     * allocations from zero as the constructor does, so the row is bit for bit the one a fresh
     * table would hold. The rank is left as it was (see {@link #add}).
     *
     * @return whether the node went up or down
     */
    boolean replace(int n, ClusterSnapshot.NodeState state) {
        for (ClusterSnapshot.Allocation a : states[n].allocations()) {
            counts.decrement(appId(a.app()), n);
        }
        boolean flipped = states[n].up() != state.up();
        states[n] = state;
        Arrays.fill(allocated, n * dims, (n + 1) * dims, 0);
        instances[n] = 0;
        double[] demand = new double[dims];
        for (ClusterSnapshot.Allocation a : state.allocations()) {
            add(n, appId(a.app()), demand(a.resources(), demand));
        }
        return flipped;
    }

    /** Copies node {@code n}'s allocation row into {@code into} at {@code offset}; returns its instances. */
    int save(int n, double[] into, int offset) {
        System.arraycopy(allocated, n * dims, into, offset, dims);
        return instances[n];
    }

    /** Puts back a row {@link #save}d from node {@code n}; the counts are undone by {@link #uncount}. */
    void restore(int n, double[] from, int offset, int instances) {
        System.arraycopy(from, offset, allocated, n * dims, dims);
        this.instances[n] = instances;
    }

    /** Takes back one instance of {@code app} from node {@code n}'s per-app count. */
    void uncount(int app, int n) {
        counts.decrement(app, n);
    }

    /** The number of nodes. */
    int size() {
        return states.length;
    }

    /** The number of dimensions, the union of those the nodes declare. */
    int dimensions() {
        return dims;
    }

    /** The snapshot's node {@code n}. */
    ClusterSnapshot.NodeState state(int n) {
        return states[n];
    }

    /** Whether node {@code n} is up. */
    boolean up(int n) {
        return states[n].up();
    }

    /** Node {@code n}'s id. */
    String id(int n) {
        return states[n].spec().id();
    }

    /** The capacity of node {@code n} in (union) dimension {@code d}; infinite when undeclared. */
    double capacity(int n, int d) {
        return capacity[n * dims + d];
    }

    /** Capacity minus allocation of node {@code n} in (union) dimension {@code d}. */
    double free(int n, int d) {
        return capacity[n * dims + d] - allocated[n * dims + d];
    }

    /** A small id for {@code app}, the same for as long as the table lives. */
    int appId(String app) {
        Integer id = apps.get(app);
        if (id == null) {
            id = apps.size();
            apps.put(app, id);
        }
        return id;
    }

    /** {@code resources} over the union dimensions, written into {@code into}; others are dropped. */
    double[] demand(Resources resources, double[] into) {
        Arrays.fill(into, 0);
        for (Map.Entry<String, Double> e : resources.amounts().entrySet()) {
            Integer d = dimensionIndex.get(e.getKey());
            if (d != null) {
                into[d] = e.getValue();
            }
        }
        return into;
    }

    /** How many instances of app {@code app} node {@code n} holds. */
    int count(int app, int n) {
        return counts.get(app, n);
    }

    /** Whether {@code demand} fits node {@code n} in every dimension (within {@link Filters#EPSILON}). */
    boolean fits(int n, double[] demand) {
        int base = n * dims;
        for (int d = 0; d < dims; d++) {
            if (capacity[base + d] - allocated[base + d] - demand[d] < -Filters.EPSILON) {
                return false;
            }
        }
        return true;
    }

    /**
     * Records one more instance of {@code app} taking {@code demand} on node {@code n}. The rank
     * is left as it was, so that indexes can still find the node by it; call {@link #rerank}
     * once they have let go of it.
     */
    void add(int n, int app, double[] demand) {
        int base = n * dims;
        for (int d = 0; d < dims; d++) {
            allocated[base + d] += demand[d];
        }
        counts.increment(app, n);
        instances[n]++;
    }

    /** Recomputes node {@code n}'s rank from the rankers, after {@link #add}. */
    void rerank(int n) {
        int s = rankers.size();
        for (int i = 0; i < s; i++) {
            double score = rankers.get(i).score(views[n]);
            rank[n * s + i] = Math.round(score * RANK_SCALE);
        }
    }

    /**
     * The order of the index: the rankers' scores, higher first, each breaking the ties of the
     * ones before, then the node that comes first in the snapshot.
     */
    int compare(int a, int b) {
        int c = compareRank(a, b);
        return c != 0 ? c : Integer.compare(a, b);
    }

    /** {@link #compare(int, int)} without the last tie-break: 0 when the ranks are equal. */
    int compareRank(int a, int b) {
        int s = rankers.size();
        for (int i = 0; i < s; i++) {
            long x = rank[a * s + i];
            long y = rank[b * s + i];
            if (x != y) {
                return x > y ? -1 : 1;
            }
        }
        return 0;
    }

    /** Whether nodes {@code a} and {@code b} have the same score by the first ranker. */
    boolean sameLeadingRank(int a, int b) {
        int s = rankers.size();
        return s == 0 || rank[a * s] == rank[b * s];
    }

    /** Copies node {@code n}'s current rank into {@code into}, for {@link #compare(int, long[], int)}. */
    void copyRank(int n, long[] into) {
        System.arraycopy(rank, n * rankers.size(), into, 0, rankers.size());
    }

    /** {@link #compare(int, int)} of node {@code a} with a node {@code b} that had rank {@code key}. */
    int compare(int a, long[] key, int b) {
        int s = rankers.size();
        for (int i = 0; i < s; i++) {
            long x = rank[a * s + i];
            if (x != key[i]) {
                return x > key[i] ? -1 : 1;
            }
        }
        return Integer.compare(a, b);
    }

    /** Node {@code n} as the filters and scorers see it. */
    NodeView view(int n) {
        return views[n];
    }

    /** Every node as the filters see it, in snapshot order. */
    List<NodeView> views() {
        return new AbstractList<>() {
            @Override
            public NodeView get(int index) {
                return views[index];
            }

            @Override
            public int size() {
                return views.length;
            }
        };
    }

    /** A node of the table as a {@link NodeView}. */
    private final class Row implements NodeView {
        private final int n;

        Row(int n) {
            this.n = n;
        }

        @Override
        public String id() {
            return NodeTable.this.id(n);
        }

        @Override
        public boolean up() {
            return NodeTable.this.up(n);
        }

        @Override
        public Map<String, String> labels() {
            return states[n].spec().labels();
        }

        @Override
        public int dimensions() {
            return declared[n].length;
        }

        @Override
        public String dimension(int i) {
            return dimensions[declared[n][i]];
        }

        @Override
        public double capacity(int i) {
            return capacity[n * dims + declared[n][i]];
        }

        @Override
        public double allocated(int i) {
            return allocated[n * dims + declared[n][i]];
        }

        @Override
        public int count(String app) {
            Integer id = apps.get(app);
            return id == null ? 0 : counts.get(id, n);
        }

        @Override
        public int instances() {
            return instances[n];
        }

        @Override
        public double typical(int i) {
            return typical[declared[n][i]];
        }

        @Override
        public double weight(int i) {
            return weights[declared[n][i]];
        }

        @Override
        public String toString() {
            return "Node[" + id() + (up() ? "" : " down") + ", " + instances[n] + " instances]";
        }
    }
}
