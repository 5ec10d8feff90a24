package dev.berth.core.internal.scheduler;

import java.util.function.IntToDoubleFunction;
import java.util.function.ToDoubleBiFunction;
import java.util.function.ToDoubleFunction;

/**
 * The scorers. Utilisation is the mean, over every dimension the node declares, of
 * allocated / capacity; a node that declares no dimension is unlimited and has utilisation 0 (a
 * dimension of capacity 0 counts as full). Each scorer is immutable and thread-safe.
 */
final class Scorers {

    /**
     * Pack: the fullest node wins (best fit across all declared dimensions), by the mean
     * utilisation weighted by {@link NodeView#weight}: filling the scarce dimension is what saves
     * nodes.
     */
    static final Scorer MOST_ALLOCATED = scorer("most-allocated", true, false, Scorers::weightedUtilisation);

    /**
     * Spread: the emptiest node wins (Mako's {@code load}), as it would be with one more typical
     * instance of the batch ({@link NodeView#typical}), so that among equally loaded nodes of
     * different sizes the larger comes first.
     */
    static final Scorer LEAST_ALLOCATED = scorer("least-allocated", false, true,
            node -> -utilisation(node, node::typical));

    /** Pack's tie-break: the node with the most instances wins (decides among unlimited nodes). */
    static final Scorer MOST_INSTANCES = scorer("most-instances", false, false, NodeView::instances);

    /** Spread's last tie-break: the node with the fewest instances of any app wins. */
    static final Scorer FEWEST_INSTANCES = scorer("fewest-instances", false, false, node -> -node.instances());

    /** Spread's tie-break among equally loaded nodes (after placement): the node with the fewest instances of this app wins. */
    static final TieBreaker FEWEST_OF_APP = tieBreaker("fewest-of-app", (node, ask) -> -node.count(ask.app()));

    /**
     * Spread's choice among the first few least loaded nodes: the one least loaded once the
     * instance is placed, so that a small node is not filled by a large instance while a larger
     * node would stay emptier.
     */
    static final TieBreaker LEAST_ALLOCATED_AFTER = tieBreaker("least-allocated-after",
            (node, ask) -> -utilisation(node, i -> ask.demand().get(node.dimension(i))));

    private Scorers() {
    }

    /** A named scorer of the node alone, reading the batch's weights and typical demand or not. */
    private static Scorer scorer(String name, boolean weights, boolean typical, ToDoubleFunction<NodeView> score) {
        return new Scorer() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public boolean readsWeights() {
                return weights;
            }

            @Override
            public boolean readsTypical() {
                return typical;
            }

            @Override
            public double score(NodeView node) {
                return score.applyAsDouble(node);
            }
        };
    }

    /** A named tie-breaker of a node for an ask. */
    private static TieBreaker tieBreaker(String name, ToDoubleBiFunction<NodeView, Ask> score) {
        return new TieBreaker() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public double score(NodeView node, Ask ask) {
                return score.applyAsDouble(node, ask);
            }
        };
    }

    /** The node's utilisation over its declared dimensions, weighted by {@link NodeView#weight}. */
    static double weightedUtilisation(NodeView node) {
        int dims = node.dimensions();
        double sum = 0;
        double weights = 0;
        for (int i = 0; i < dims; i++) {
            double capacity = node.capacity(i);
            double w = node.weight(i);
            sum += w * (capacity <= 0 ? 1 : node.allocated(i) / capacity);
            weights += w;
        }
        return weights > 0 ? sum / weights : utilisation(node);
    }

    /** The node's mean utilisation over its declared dimensions. */
    static double utilisation(NodeView node) {
        return utilisation(node, i -> 0);
    }

    /**
     * The node's mean utilisation over its declared dimensions with {@code extra.applyAsDouble(i)}
     * more allocated in its {@code i}-th dimension (an instance about to be placed).
     */
    private static double utilisation(NodeView node, IntToDoubleFunction extra) {
        int dims = node.dimensions();
        if (dims == 0) {
            return 0;
        }
        double sum = 0;
        for (int i = 0; i < dims; i++) {
            double capacity = node.capacity(i);
            sum += capacity <= 0 ? 1 : (node.allocated(i) + extra.applyAsDouble(i)) / capacity;
        }
        return sum / dims;
    }
}
