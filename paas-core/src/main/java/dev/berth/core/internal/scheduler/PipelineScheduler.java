package dev.berth.core.internal.scheduler;

import dev.berth.api.ClusterSnapshot;
import dev.berth.api.Constraints;
import dev.berth.api.Placement;
import dev.berth.api.PlacementRequest;
import dev.berth.api.Resources;
import dev.berth.api.Scheduler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Scheduler} built from a {@link Pipeline}: filters → scorers → select, one instance at
 * a time on a private working copy of the snapshot ({@link NodeTable}), so that each placement
 * sees the ones before it.
 *
 * <p>How a call goes:
 * <ol>
 *   <li>the snapshot becomes primitive arrays, and the nodes are ranked by the pipeline's
 *       scorers; per distinct set of label constraints, the up nodes that carry the labels are
 *       kept in rank order in a {@link NodeIndex} (built when first needed) that finds the best
 *       node with room for a demand in O(log M);</li>
 *   <li>identical asks (same app, demand, constraints) are grouped into one <em>shape</em>, placed
 *       together; shapes are worked through {@code all} first (they have no choice of node), then
 *       by decreasing size, the sum over the dimensions of the demand relative to the up nodes'
 *       mean capacity (best-fit-decreasing); equal sizes keep their input order;</li>
 *   <li>pack fills the best node that fits as far as the shape needs and it allows, then goes on
 *       from that point of the index; spread places one instance on the best node, which then
 *       moves down the order. Either way the search resumes where the last one stopped (nodes
 *       only fill up, so the nodes passed over stay infeasible for the shape), so a shape of k
 *       instances costs one sweep of the index, uniqueHost or not;</li>
 *   <li>when a shape finds no node, the filters run once over every node to say why; the rest of
 *       the shape is unplaced for the same reason (nodes only fill up).</li>
 * </ol>
 * Placing N instances on M nodes costs O(M log M + N log M) in the usual case. The result lists
 * assignments and unplaced requests by request index, whatever the order of work.
 *
 * <p>Pure: no I/O (beyond a debug log), no clock, no randomness; the same input gives the same
 * {@link Placement}. Immutable and thread-safe. Internal: obtain instances through
 * {@link dev.berth.core.Schedulers}.
 */
public final class PipelineScheduler implements Scheduler {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineScheduler.class);

    /** How many feasible nodes tied on the first scorer a tie-breaker looks at, at most. */
    static final int TIE_WINDOW = 16;

    private static final PipelineScheduler PACK = new PipelineScheduler(Strategy.PACK, new Pipeline(Filters.ALL,
            List.of(Scorers.MOST_ALLOCATED, Scorers.MOST_INSTANCES), Optional.empty()));
    private static final PipelineScheduler SPREAD = new PipelineScheduler(Strategy.SPREAD, new Pipeline(Filters.ALL,
            List.of(Scorers.LEAST_ALLOCATED, Scorers.FEWEST_INSTANCES), Optional.of(Scorers.FEWEST_OF_APP)));

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
        Placement placement = new Run(snapshot, requests).place();
        if (LOG.isDebugEnabled()) {
            for (Placement.Unplaced u : placement.unplaced()) {
                LOG.debug("{}: {} instance(s) of {} (request {}) not placed: {}", strategy, u.count(), u.app(),
                        u.request(), u.reason());
            }
        }
        return placement;
    }

    @Override
    public String toString() {
        return "Scheduler[" + strategy + ": " + pipeline + "]";
    }

    /** Identical asks, placed together. */
    private record ShapeKey(String app, Resources demand, Constraints constraints, boolean all) {
    }

    /** One shape: the requests (by index, in input order) that ask for it, and its size. */
    private static final class Shape {
        final int first;
        int[] members = new int[1];
        int size;
        double weight;

        Shape(int first) {
            this.first = first;
            members[size++] = first;
        }

        void add(int request) {
            if (size == members.length) {
                members = Arrays.copyOf(members, size * 2);
            }
            members[size++] = request;
        }
    }

    /** One call's work: the working copy, its indexes and what has been placed so far. Confined to the call. */
    private final class Run {
        private final NodeTable table;
        private final List<PlacementRequest> requests;
        private final Map<Map<String, String>, NodeIndex> indexes = new HashMap<>();
        private final List<NodeIndex> built = new ArrayList<>();
        private final Placement.Unplaced[] unplaced;
        private final long[] bound;
        private final long[] scratch;
        private int[] placedRequest = new int[16];
        private int[] placedNode = new int[16];
        private int placed;

        Run(ClusterSnapshot snapshot, List<PlacementRequest> requests) {
            this.table = new NodeTable(snapshot, pipeline.rankers());
            this.requests = requests;
            this.unplaced = new Placement.Unplaced[requests.size()];
            this.bound = new long[pipeline.rankers().size()];
            this.scratch = new long[pipeline.rankers().size()];
        }

        Placement place() {
            for (Shape shape : shapes()) {
                PlacementRequest request = requests.get(shape.first);
                if (request.all()) {
                    for (int m = 0; m < shape.size; m++) {
                        placeOnEveryNode(shape.members[m], request);
                    }
                } else {
                    placeShape(shape, request);
                }
            }
            return result();
        }

        /** The shapes in the order of work: {@code all} first, then by decreasing size, then input order. */
        private List<Shape> shapes() {
            Map<ShapeKey, Shape> byKey = new HashMap<>();
            List<Shape> shapes = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
                PlacementRequest r = requests.get(i);
                if (!r.all() && r.count() == 0) {
                    continue;
                }
                ShapeKey key = new ShapeKey(r.app(), r.demand(), r.constraints(), r.all());
                Shape shape = byKey.get(key);
                if (shape == null) {
                    shape = new Shape(i);
                    byKey.put(key, shape);
                    shapes.add(shape);
                } else {
                    shape.add(i);
                }
            }
            double[] mean = meanCapacity();
            double[] demand = new double[table.dimensions()];
            for (Shape shape : shapes) {
                table.demand(requests.get(shape.first).demand(), demand);
                double w = 0;
                for (int d = 0; d < demand.length; d++) {
                    if (mean[d] > 0) {
                        w += demand[d] / mean[d];
                    }
                }
                shape.weight = w;
            }
            shapes.sort((a, b) -> {
                boolean allA = requests.get(a.first).all();
                boolean allB = requests.get(b.first).all();
                if (allA != allB) {
                    return allA ? -1 : 1;
                }
                int c = Double.compare(b.weight, a.weight);
                return c != 0 ? c : Integer.compare(a.first, b.first);
            });
            return shapes;
        }

        /** Per dimension, the mean capacity of the up nodes that declare it (0 when none does). */
        private double[] meanCapacity() {
            int dims = table.dimensions();
            double[] sum = new double[dims];
            int[] nodes = new int[dims];
            for (int n = 0; n < table.size(); n++) {
                if (table.up(n)) {
                    for (int d = 0; d < dims; d++) {
                        double c = table.capacity(n, d);
                        if (c != Double.POSITIVE_INFINITY) {
                            sum[d] += c;
                            nodes[d]++;
                        }
                    }
                }
            }
            for (int d = 0; d < dims; d++) {
                sum[d] = nodes[d] == 0 ? 0 : sum[d] / nodes[d];
            }
            return sum;
        }

        /**
         * Places every request of a shape, instance by instance in input order, resuming the
         * search of the index where the last one stopped. Pack fills the node it finds for as many
         * instances as fit; spread takes one instance per search.
         */
        private void placeShape(Shape shape, PlacementRequest first) {
            Ask ask = Ask.of(shape.first, first);
            int app = table.appId(first.app());
            double[] demand = table.demand(first.demand(), new double[table.dimensions()]);
            int limit = first.constraints().perNodeLimit();
            NodeIndex index = index(first.constraints().nodeLabels());
            boolean fill = strategy == Strategy.PACK;
            boolean bounded = false;
            boolean strict = false;
            int boundNode = -1;
            String reason = null;
            for (int m = 0; m < shape.size; m++) {
                int request = shape.members[m];
                int need = requests.get(request).count();
                while (need > 0 && reason == null) {
                    int firstFit = index.first(demand, app, limit, bounded ? bound : null, boundNode, strict);
                    int node = breakTie(index, firstFit, demand, app, limit, ask);
                    if (node < 0) {
                        reason = pipeline.explain(table.views(), ask);
                        break;
                    }
                    // resume at the first feasible node; when another was chosen, that one stays
                    // first, when it is the one filled, what came before it stays infeasible
                    table.copyRank(firstFit, bound);
                    bounded = true;
                    boundNode = firstFit;
                    strict = node == firstFit;
                    int times = 0;
                    do {
                        table.add(node, app, demand);
                        record(request, node);
                        times++;
                        need--;
                    } while (fill && need > 0 && table.fits(node, demand) && table.count(app, node) < limit);
                    reindex(node);
                    if (fill && need == 0 && table.fits(node, demand) && table.count(app, node) < limit) {
                        // the next request of the shape starts on the node just filled
                        table.copyRank(node, bound);
                        strict = false;
                    }
                }
                if (need > 0) {
                    unplaced[request] = new Placement.Unplaced(request, first.app(), need, reason);
                }
            }
        }

        /**
         * The node to take among the feasible ones: {@code firstFit}, unless the pipeline's
         * tie-breaker prefers one of the next few that tie with it on the first scorer.
         */
        private int breakTie(NodeIndex index, int firstFit, double[] demand, int app, int limit, Ask ask) {
            Optional<TieBreaker> tieBreaker = pipeline.tieBreaker();
            if (firstFit < 0 || tieBreaker.isEmpty()) {
                return firstFit;
            }
            TieBreaker tb = tieBreaker.get();
            double best = tb.score(table.view(firstFit), ask);
            int chosen = firstFit;
            int current = firstFit;
            for (int w = 0; w < TIE_WINDOW && best < tb.best(); w++) {
                table.copyRank(current, scratch);
                int next = index.first(demand, app, limit, scratch, current, true);
                if (next < 0 || !table.tiesOnFirst(next, firstFit)) {
                    break;
                }
                double score = tb.score(table.view(next), ask);
                if (score > best + Pipeline.TIE) {
                    best = score;
                    chosen = next;
                }
                current = next;
            }
            return chosen;
        }

        /**
         * Places one instance on every eligible node (up, with the labels) that has none of the app
         * yet, where the pipeline admits it; the others are counted as unplaced.
         */
        private void placeOnEveryNode(int request, PlacementRequest r) {
            Ask ask = Ask.of(request, r);
            int app = table.appId(r.app());
            double[] demand = table.demand(r.demand(), new double[table.dimensions()]);
            int eligible = 0;
            List<Rejection> rejections = new ArrayList<>();
            for (int n = 0; n < table.size(); n++) {
                if (!table.up(n) || !r.constraints().admits(table.state(n).spec().labels()) || table.count(app, n) > 0) {
                    continue;
                }
                eligible++;
                Optional<Rejection> rejection = pipeline.check(table.view(n), ask);
                if (rejection.isPresent()) {
                    rejections.add(rejection.get());
                } else {
                    table.add(n, app, demand);
                    record(request, n);
                    reindex(n);
                }
            }
            if (!rejections.isEmpty()) {
                String reason = Pipeline.summarise(eligible, rejections,
                        "of " + eligible + " eligible nodes without " + r.app() + ", ");
                unplaced[request] = new Placement.Unplaced(request, r.app(), rejections.size(), reason);
            }
        }

        /** The index of the up nodes carrying {@code labels}, built on first use. */
        private NodeIndex index(Map<String, String> labels) {
            NodeIndex index = indexes.get(labels);
            if (index == null) {
                boolean[] member = new boolean[table.size()];
                for (int n = 0; n < table.size(); n++) {
                    member[n] = table.up(n) && carries(table.state(n).spec().labels(), labels);
                }
                index = new NodeIndex(table, member);
                indexes.put(labels, index);
                built.add(index);
            }
            return index;
        }

        /** Moves node {@code n} to its new place in every index, after {@link NodeTable#add}. */
        private void reindex(int n) {
            for (NodeIndex index : built) {
                if (index.contains(n)) {
                    index.remove(n);
                }
            }
            table.rerank(n);
            for (NodeIndex index : built) {
                if (index.contains(n)) {
                    index.insert(n);
                }
            }
        }

        private void record(int request, int node) {
            if (placed == placedRequest.length) {
                placedRequest = Arrays.copyOf(placedRequest, placed * 2);
                placedNode = Arrays.copyOf(placedNode, placed * 2);
            }
            placedRequest[placed] = request;
            placedNode[placed] = node;
            placed++;
        }

        /** The placement, assignments grouped by request index (in placement order within one). */
        private Placement result() {
            int[] start = new int[requests.size() + 1];
            for (int i = 0; i < placed; i++) {
                start[placedRequest[i] + 1]++;
            }
            for (int i = 0; i < requests.size(); i++) {
                start[i + 1] += start[i];
            }
            Placement.Assignment[] assignments = new Placement.Assignment[placed];
            for (int i = 0; i < placed; i++) {
                int request = placedRequest[i];
                assignments[start[request]++] = new Placement.Assignment(request, requests.get(request).app(),
                        table.id(placedNode[i]));
            }
            List<Placement.Unplaced> missing = new ArrayList<>();
            for (Placement.Unplaced u : unplaced) {
                if (u != null) {
                    missing.add(u);
                }
            }
            return new Placement(Arrays.asList(assignments), missing);
        }
    }

    /** Whether a node's {@code labels} carry every {@code required} one. */
    private static boolean carries(Map<String, String> labels, Map<String, String> required) {
        for (Map.Entry<String, String> e : required.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
