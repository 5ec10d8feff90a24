package dev.berth.core.internal.scheduler;

import java.util.List;
import java.util.Optional;

/** The feasibility filters, cheapest first. Each is immutable and thread-safe. */
final class Filters {
    /** Slack for floating-point sums: an instance fits if at most this much would be over capacity. */
    static final double EPSILON = 1e-9;

    private static final Optional<Rejection> DOWN = Optional.of(new Rejection.Down());

    /** The node must be up. */
    static final FeasibilityFilter NODE_UP = new FeasibilityFilter() {
        @Override
        public String name() {
            return "node-up";
        }

        @Override
        public Optional<Rejection> check(NodeView node, Ask ask) {
            return node.up() ? Optional.empty() : DOWN;
        }
    };

    /** The node must carry every label the constraints require. */
    static final FeasibilityFilter LABELS = new FeasibilityFilter() {
        @Override
        public String name() {
            return "labels";
        }

        @Override
        public Optional<Rejection> check(NodeView node, Ask ask) {
            if (ask.constraints().admits(node.labels())) {
                return Optional.empty();
            }
            return Optional.of(new Rejection.MissingLabels(ask.constraints().nodeLabels()));
        }
    };

    /**
     * The node must hold fewer instances of the app than the per-node limit (uniqueHost: 1,
     * maxPerNode), counting the snapshot's and this call's.
     */
    static final FeasibilityFilter PER_NODE_LIMIT = new FeasibilityFilter() {
        @Override
        public String name() {
            return "per-node-limit";
        }

        @Override
        public Optional<Rejection> check(NodeView node, Ask ask) {
            int limit = ask.constraints().perNodeLimit();
            if (node.count(ask.app()) < limit) {
                return Optional.empty();
            }
            return Optional.of(new Rejection.AtLimit(ask.app(), limit, ask.constraints().uniqueHost()));
        }
    };

    /**
     * The demand must fit in every dimension the node declares; undeclared dimensions are
     * unlimited. The first dimension (in name order) that does not fit is reported.
     */
    static final FeasibilityFilter FITS_CAPACITY = new FeasibilityFilter() {
        @Override
        public String name() {
            return "fits-capacity";
        }

        @Override
        public Optional<Rejection> check(NodeView node, Ask ask) {
            for (int i = 0; i < node.dimensions(); i++) {
                double need = ask.demand().get(node.dimension(i));
                double free = node.free(i);
                if (free - need < -EPSILON) {
                    return Optional.of(new Rejection.NoRoom(node.dimension(i), need, free));
                }
            }
            return Optional.empty();
        }
    };

    /** All of them, cheapest first. */
    static final List<FeasibilityFilter> ALL = List.of(NODE_UP, LABELS, PER_NODE_LIMIT, FITS_CAPACITY);

    private Filters() {
    }
}
