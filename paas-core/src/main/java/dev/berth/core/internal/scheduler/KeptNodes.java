// Owns what the placement engine keeps between calls: the working table, its node indexes, and their update by snapshot diff.
package dev.berth.core.internal.scheduler;

import dev.berth.spi.ClusterSnapshot;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The working table and node indexes that {@link PipelineScheduler} keeps from one call to the
 * next, so that a call on a cluster where little changed costs what changed, not a rebuild.
 *
 * <p>What is kept is what does not depend on the call's requests: per node its capacity,
 * allocations, instance counts (the expensive part: every allocation of the cluster hashed into
 * per-(app, node) counts), and, while the requests' weights and typical demand stay the same, the
 * ranks and the indexes ordered by them (the label indexes and spread's capacity classes). A new
 * snapshot of the same nodes (ids, specs, order) is diffed against the last by
 * {@link ClusterSnapshot.NodeState} identity: a changed node is taken out of the indexes, its row
 * rebuilt from its new state, and, once the call's weights are known, re-ranked and put back. A
 * node that went up or down drops the indexes (their membership changed), other weights re-rank
 * every node and drop them too; indexes are then rebuilt on first use. A snapshot of other nodes
 * starts over. The call's own placements go through {@link #undoLog()} and are reverted at its
 * end, so that what is kept is always the last snapshot as given.
 *
 * <p>Confined to one call at a time (the scheduler hands it to one call and takes it back after);
 * not thread-safe.
 */
final class KeptNodes {
    /** At most this many label indexes are kept; more are dropped (every kept one is maintained on every placement). */
    static final int MAX_INDEXES = 16;


    private final NodeTable table;
    private final UndoLog undo;
    private final Map<Map<String, String>, NodeIndex> indexes = new HashMap<>();
    private CapacityClasses classes;
    private boolean classesKnown;
    /** The nodes replaced since the last {@link #rank}, out of every index until then. */
    private int[] changed = new int[16];
    private int changes;
    /** The up nodes' mean and total capacity per dimension, null until asked for. */
    private double[] mean;
    private double[] total;

    private KeptNodes(NodeTable table) {
        this.table = table;
        this.undo = new UndoLog(table);
    }

    /**
     * The kept state for {@code snapshot}: {@code last} brought up to date when it holds the same
     * nodes, a fresh one otherwise (or when there is no {@code last}).
     *
     * @throws IllegalArgumentException if the snapshot lists a node id twice
     */
    static KeptNodes open(KeptNodes last, ClusterSnapshot snapshot, List<Scorer> rankers) {
        if (last != null && last.update(snapshot.nodes())) {
            return last;
        }
        return new KeptNodes(new NodeTable(snapshot, rankers));
    }

    /**
     * Brings the table to {@code nodes} when they are its nodes (same ids, specs, order): finds
     * the states that are not the kept objects, then replaces their rows; false, with nothing
     * changed, for other nodes.
     */
    private boolean update(List<ClusterSnapshot.NodeState> nodes) {
        if (nodes.size() != table.size()) {
            return false;
        }
        int first = changes;
        for (int n = 0; n < nodes.size(); n++) {
            ClusterSnapshot.NodeState state = nodes.get(n);
            if (state != table.state(n)) {
                if (!table.sameSpec(n, state)) {
                    changes = first;
                    return false;
                }
                if (changes == changed.length) {
                    changed = Arrays.copyOf(changed, changes * 2);
                }
                changed[changes++] = n;
            }
        }
        boolean flipped = false;
        List<NodeIndex> all = indexes();
        for (int i = first; i < changes; i++) {
            int n = changed[i];
            for (NodeIndex index : all) {
                index.detach(n);
            }
            flipped |= table.replace(n, nodes.get(n));
        }
        if (flipped) {
            forgetIndexes();
            mean = null;
        }
        return true;
    }

    /** The working table, as of the last snapshot. */
    NodeTable table() {
        return table;
    }

    /** The undo log through which a call places on the table. */
    UndoLog undoLog() {
        return undo;
    }

    /**
     * Ranks the nodes for a call with these weights and typical demand (see
     * {@link NodeTable#rankAll}): only the replaced nodes when the last call's were the same,
     * every node (and the indexes dropped) otherwise.
     */
    void rank(double[] weights, double[] typical) {
        if (table.rankedWith(weights, typical)) {
            table.batch(weights, typical);
            List<NodeIndex> all = indexes();
            for (int i = 0; i < changes; i++) {
                int n = changed[i];
                table.rerank(n);
                for (NodeIndex index : all) {
                    index.restore(n);
                }
            }
        } else {
            table.rankAll(weights, typical);
            forgetIndexes();
        }
        changes = 0;
    }

    /** Every kept index, to keep in step with the table while a call places. */
    List<NodeIndex> indexes() {
        List<NodeIndex> all = new ArrayList<>(indexes.values());
        if (classes != null) {
            all.addAll(classes.indexes());
        }
        return all;
    }

    /**
     * The index of the up nodes carrying {@code labels}; a new one is built (in the table's
     * current order) and added to {@code built}.
     */
    NodeIndex index(Map<String, String> labels, List<NodeIndex> built) {
        NodeIndex index = indexes.get(labels);
        if (index == null) {
            boolean[] member = new boolean[table.size()];
            for (int n = 0; n < table.size(); n++) {
                member[n] = table.up(n) && carries(table.state(n).spec().labels(), labels);
            }
            index = new NodeIndex(table, member);
            if (indexes.size() == MAX_INDEXES) {
                indexes.clear();
            }
            indexes.put(labels, index);
            built.add(index);
        }
        return index;
    }

    /**
     * Spread's capacity classes of the up nodes (null when there are too many); new ones are
     * built and their indexes added to {@code built}.
     */
    CapacityClasses classes(Pipeline pipeline, List<NodeIndex> built) {
        if (!classesKnown) {
            boolean[] up = new boolean[table.size()];
            for (int n = 0; n < table.size(); n++) {
                up[n] = table.up(n);
            }
            classes = CapacityClasses.of(table, pipeline, up);
            classesKnown = true;
            if (classes != null) {
                built.addAll(classes.indexes());
            }
        }
        return classes;
    }

    /**
     * Per dimension, the mean capacity of the up nodes that declare it (0 when none does); their
     * total capacity is added to {@code sum}. Computed once while no node goes up or down.
     */
    double[] capacity(double[] sum) {
        if (mean == null) {
            int dims = table.dimensions();
            total = new double[dims];
            int[] nodes = new int[dims];
            for (int n = 0; n < table.size(); n++) {
                for (int d = 0; d < dims && table.up(n); d++) {
                    double c = table.capacity(n, d);
                    if (c != Double.POSITIVE_INFINITY) {
                        total[d] += c;
                        nodes[d]++;
                    }
                }
            }
            mean = new double[dims];
            for (int d = 0; d < dims; d++) {
                mean[d] = nodes[d] == 0 ? 0 : total[d] / nodes[d];
            }
        }
        for (int d = 0; d < sum.length; d++) {
            sum[d] += total[d];
        }
        return mean.clone();
    }

    private void forgetIndexes() {
        indexes.clear();
        classes = null;
        classesKnown = false;
    }

    /** Whether a node's {@code labels} carry every {@code required} one. */
    static boolean carries(Map<String, String> labels, Map<String, String> required) {
        for (Map.Entry<String, String> e : required.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
