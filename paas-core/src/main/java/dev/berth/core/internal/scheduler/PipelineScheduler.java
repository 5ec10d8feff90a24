package dev.berth.core.internal.scheduler;

import dev.berth.api.ClusterSnapshot;
import dev.berth.api.Placement;
import dev.berth.api.PlacementRequest;
import dev.berth.api.Resources;
import dev.berth.api.Scheduler;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Scheduler} built from a {@link Pipeline}: filters → scorers → select, one instance at
 * a time on a private working copy of the snapshot's allocations, so that each placement sees the
 * ones before it.
 *
 * <p>Order of work: requests with {@code all} first (they have no choice of node), then the
 * others by decreasing dominant share of demand (the largest fraction, over the dimensions, of the
 * up nodes' total capacity that one instance asks for), first-fit-decreasing style; equal shares
 * keep their input order. The result lists assignments and unplaced requests by request index,
 * whatever the order of work.
 *
 * <p>Pure: no I/O (beyond a debug log), no clock, no randomness; the same input gives the same
 * {@link Placement}. Immutable and thread-safe. Internal: obtain instances through
 * {@link dev.berth.core.Schedulers}.
 */
public final class PipelineScheduler implements Scheduler {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineScheduler.class);

    private static final PipelineScheduler PACK = new PipelineScheduler(Strategy.PACK, new Pipeline(Filters.ALL,
            List.of(Scorers.MOST_ALLOCATED, Scorers.MOST_INSTANCES)));
    private static final PipelineScheduler SPREAD = new PipelineScheduler(Strategy.SPREAD, new Pipeline(Filters.ALL,
            List.of(Scorers.LEAST_ALLOCATED, Scorers.FEWEST_OF_APP, Scorers.FEWEST_INSTANCES)));

    private final Strategy strategy;
    private final Pipeline pipeline;

    private PipelineScheduler(Strategy strategy, Pipeline pipeline) {
        this.strategy = strategy;
        this.pipeline = pipeline;
    }

    /** The scheduler for {@code strategy}: pack = most allocated, spread = least allocated. */
    public static PipelineScheduler of(Strategy strategy) {
        Objects.requireNonNull(strategy, "strategy");
        return switch (strategy) {
            case PACK -> PACK;
            case SPREAD -> SPREAD;
        };
    }

    /** The strategy this scheduler follows. */
    public Strategy strategy() {
        return strategy;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if the snapshot lists a node id twice
     */
    @Override
    public Placement place(ClusterSnapshot snapshot, List<PlacementRequest> requests) {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(requests, "requests");
        for (int i = 0; i < requests.size(); i++) {
            Objects.requireNonNull(requests.get(i), "requests[" + i + "]");
        }
        List<WorkingNode> nodes = WorkingNode.copyOf(snapshot);
        List<List<Placement.Assignment>> assigned = new ArrayList<>(requests.size());
        Placement.Unplaced[] unplaced = new Placement.Unplaced[requests.size()];
        for (int i = 0; i < requests.size(); i++) {
            assigned.add(new ArrayList<>());
        }
        for (int index : order(nodes, requests)) {
            PlacementRequest request = requests.get(index);
            Ask ask = Ask.of(index, request);
            unplaced[index] = request.all()
                    ? placeOnEveryNode(nodes, ask, assigned.get(index))
                    : placeCount(nodes, ask, request.count(), assigned.get(index));
        }
        List<Placement.Assignment> assignments = new ArrayList<>();
        List<Placement.Unplaced> missing = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            assignments.addAll(assigned.get(i));
            if (unplaced[i] != null) {
                missing.add(unplaced[i]);
                if (LOG.isDebugEnabled()) {
                    LOG.debug("{}: {} instance(s) of {} (request {}) not placed: {}", strategy, unplaced[i].count(),
                            unplaced[i].app(), i, unplaced[i].reason());
                }
            }
        }
        return new Placement(assignments, missing);
    }

    /** Places {@code count} instances, stopping at the first that finds no node (nodes only fill up). */
    private Placement.Unplaced placeCount(List<WorkingNode> nodes, Ask ask, int count, List<Placement.Assignment> out) {
        for (int placed = 0; placed < count; placed++) {
            int best = pipeline.select(nodes, ask);
            if (best < 0) {
                return new Placement.Unplaced(ask.request(), ask.app(), count - placed, pipeline.explain(nodes, ask));
            }
            WorkingNode node = nodes.get(best);
            node.add(ask.app(), ask.demand());
            out.add(new Placement.Assignment(ask.request(), ask.app(), node.id()));
        }
        return null;
    }

    /**
     * Places one instance on every eligible node (up, with the labels) that has none of the app
     * yet, where the pipeline admits it; the others are counted as unplaced.
     */
    private Placement.Unplaced placeOnEveryNode(List<WorkingNode> nodes, Ask ask, List<Placement.Assignment> out) {
        int eligible = 0;
        List<Rejection> rejections = new ArrayList<>();
        for (WorkingNode node : nodes) {
            if (!node.up() || !ask.constraints().admits(node.labels()) || node.count(ask.app()) > 0) {
                continue;
            }
            eligible++;
            Optional<Rejection> rejection = pipeline.check(node, ask);
            if (rejection.isPresent()) {
                rejections.add(rejection.get());
            } else {
                node.add(ask.app(), ask.demand());
                out.add(new Placement.Assignment(ask.request(), ask.app(), node.id()));
            }
        }
        if (rejections.isEmpty()) {
            return null;
        }
        String reason = Pipeline.summarise(eligible, rejections,
                "of " + eligible + " eligible nodes without " + ask.app() + ", ");
        return new Placement.Unplaced(ask.request(), ask.app(), rejections.size(), reason);
    }

    /** The order of work: {@code all} requests first, then by decreasing dominant share; stable. */
    private static List<Integer> order(List<WorkingNode> nodes, List<PlacementRequest> requests) {
        Map<String, Double> total = new HashMap<>();
        for (WorkingNode node : nodes) {
            if (node.up()) {
                for (int i = 0; i < node.dimensions(); i++) {
                    total.merge(node.dimension(i), node.capacity(i), Double::sum);
                }
            }
        }
        double[] share = new double[requests.size()];
        List<Integer> order = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            share[i] = dominantShare(requests.get(i).demand(), total);
            order.add(i);
        }
        order.sort(Comparator.<Integer, Boolean>comparing(i -> !requests.get(i).all())
                .thenComparing(i -> -share[i])
                .thenComparing(Comparator.naturalOrder()));
        return order;
    }

    private static double dominantShare(Resources demand, Map<String, Double> total) {
        double share = 0;
        for (Map.Entry<String, Double> e : demand.amounts().entrySet()) {
            Double capacity = total.get(e.getKey());
            if (capacity != null && capacity > 0) {
                share = Math.max(share, e.getValue() / capacity);
            }
        }
        return share;
    }

    @Override
    public String toString() {
        return "Scheduler[" + strategy + ": " + pipeline + "]";
    }
}
