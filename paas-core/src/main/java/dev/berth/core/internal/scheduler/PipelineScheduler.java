package dev.berth.core.internal.scheduler;

import dev.berth.api.ClusterSnapshot;
import dev.berth.api.Constraints;
import dev.berth.api.Placement;
import dev.berth.api.PlacementRequest;
import dev.berth.api.Scheduler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
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
 *   <li>identical asks (same app, demand, constraints) are grouped into one <em>shape</em>.
 *       The size of a shape is the sum, over the dimensions, of its demand relative to the up
 *       nodes' mean capacity, each dimension weighted by its scarcity (the share of its capacity
 *       the whole batch asks for); the same weights make pack's utilisation score favour filling
 *       the scarce dimension;</li>
 *   <li>shapes are worked through {@code all} first (they have no choice of node), then in
 *       decreasing size (best-fit-decreasing; for spread, largest first balances best); when a
 *       pack batch asks for several dimensions, the shapes take turns in proportion to their instances (a shape's first
 *       instance in decreasing size, its i-th of k when i/k of the batch is through), so that each
 *       node receives a mix whose dimensions fill up together rather than many copies of one
 *       shape that exhaust one dimension and strand the other;</li>
 *   <li>each instance goes to the first node in rank order that passes the filters (spread:
 *       the best, by its tie-breakers, of the first {@value #WINDOW}): the index skips subtrees
 *       without room and drops nodes too full for any shape of the batch; spread resumes each shape's search where its last one
 *       stopped (the node it placed on moves down the order, so the nodes before stay
 *       infeasible for the shape), so a uniqueHost shape of k instances costs one sweep; pack
 *       starts from the best node, and after passing over {@value #PASS_OVER} nodes at the
 *       shape's per-node limit resumes where the shape's last search stopped instead;</li>
 *   <li>when a shape finds no node, the filters run once over every node to say why; the rest of
 *       the shape is unplaced for the same reason (nodes only fill up).</li>
 * </ol>
 * Shapes without constraints (no labels, no per-node limit) are placed by a stage of their own,
 * after the constrained ones have gone the way above:
 * <ul>
 *   <li>pack, one dimension: {@link BinCompletion}, node by node, the largest item and then the
 *       best pair for what is left (Falkenauer's triplets come out near their optimum);</li>
 *   <li>pack, several dimensions, at most {@value #MAX_CLASSES} distinct demands:
 *       {@link DotProductFill}, node by node, the demand best aligned with what the node has left,
 *       the demands consumed in proportion;</li>
 *   <li>spread, at most {@value CapacityClasses#MAX_CLASSES} node sizes: {@link CapacityClasses},
 *       each instance on the node least loaded once it is placed, over all nodes.</li>
 * </ul>
 * The bin-centric stages take the up nodes in pack rank order (partially filled first, then the
 * larger). What a stage cannot place fits no node; the item-centric path then says why.
 * Placing N instances on M nodes costs O(M log M + N log M) in the usual case. The result lists
 * assignments and unplaced requests by request index, whatever the order of work.
 *
 * <p>The working copy and its indexes are kept between calls ({@link KeptNodes}): a snapshot of
 * the same nodes costs what changed since the last one, and the call's own placements are undone
 * at its end.
 *
 * <p>Pure: no I/O (beyond a debug log), no clock, no randomness; the same input gives the same
 * {@link Placement}, whatever the calls before. Thread-safe: a call takes the kept state for
 * itself; a concurrent call builds its own. Internal: obtain instances through
 * {@link dev.berth.core.Schedulers}.
 */
public final class PipelineScheduler implements Scheduler {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineScheduler.class);

    /**
     * How many nodes with room but at the app's per-node limit pack passes over, searching from
     * the best node, before it resumes where the shape's last search stopped instead.
     */
    static final int PASS_OVER = 64;

    /** At most this many distinct demands (of several dimensions) are packed node by node, see {@link DotProductFill}. */
    static final int MAX_CLASSES = 1024;

    /** {@code onlyDimension}: the shapes ask for no dimension, or for several. */
    private static final int NONE = -1;
    private static final int SEVERAL = -2;

    /** How many feasible nodes, the first in order, tie-breakers choose among. */
    static final int WINDOW = 8;

    private static final Pipeline PACK = new Pipeline(Filters.ALL,
            List.of(Scorers.MOST_ALLOCATED, Scorers.MOST_INSTANCES), List.of());
    private static final Pipeline SPREAD = new Pipeline(Filters.ALL,
            List.of(Scorers.LEAST_ALLOCATED, Scorers.FEWEST_INSTANCES),
            List.of(Scorers.LEAST_ALLOCATED_AFTER, Scorers.FEWEST_OF_APP));

    private final Strategy strategy;
    private final Pipeline pipeline;
    /** The last call's working copy, or null while a call holds it. */
    private final AtomicReference<KeptNodes> kept = new AtomicReference<>();

    private PipelineScheduler(Strategy strategy, Pipeline pipeline) {
        this.strategy = strategy;
        this.pipeline = pipeline;
    }

    /** A new scheduler (with nothing kept yet) for {@code strategy}: pack = most allocated, spread = least allocated. */
    public static PipelineScheduler of(Strategy strategy) {
        Objects.requireNonNull(strategy, "strategy");
        return new PipelineScheduler(strategy, strategy == Strategy.PACK ? PACK : SPREAD);
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
        // a concurrent call finds nothing kept and builds its own; the last to finish keeps its own
        KeptNodes nodes = KeptNodes.open(kept.getAndSet(null), snapshot, pipeline.rankers());
        Placement placement = new Run(nodes, requests).place();
        kept.set(nodes);
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

    /** One call's work: the working copy, its indexes and what has been placed so far. Confined to the call. */
    private final class Run {
        private final KeptNodes kept;
        private final NodeTable table;
        private final UndoLog undo;
        private final List<PlacementRequest> requests;
        /** Every index that holds the table's nodes: moved on each placement, restored at the end. */
        private final List<NodeIndex> built = new ArrayList<>();
        private final Placement.Unplaced[] unplaced;
        private final long[] scratch;
        private final double[] bestScores;
        private final double[] windowScores;
        /** Per dimension, the up nodes' mean capacity, and how scarce the batch makes it. */
        private double[] mean;
        private double[] weights;
        /** Per dimension, the least any shape of the batch asks for. */
        private double[] smallest;
        /** Nodes with less room than {@link #smallest} in some dimension: no index holds them. */
        private final boolean[] full;
        private int fullNodes;
        private int[] placedRequest = new int[16];
        private int[] placedNode = new int[16];
        private int placed;

        Run(KeptNodes kept, List<PlacementRequest> requests) {
            this.kept = kept;
            this.table = kept.table();
            this.undo = kept.undoLog();
            this.requests = requests;
            this.unplaced = new Placement.Unplaced[requests.size()];
            this.scratch = new long[pipeline.rankers().size()];
            this.bestScores = new double[pipeline.tieBreakers().size()];
            this.windowScores = new double[pipeline.tieBreakers().size()];
            this.full = new boolean[table.size()];
        }

        private static boolean constrainedAsk(Constraints c) {
            return c.perNodeLimit() != Integer.MAX_VALUE || !c.nodeLabels().isEmpty();
        }

        /** The placement; the table and its kept indexes are left as they were found. */
        Placement place() {
            List<Shape> shapes = shapes();
            built.addAll(kept.indexes());
            Placement placement = place(shapes);
            undo.revert(built);
            return placement;
        }

        private Placement place(List<Shape> shapes) {
            int i = 0;
            while (i < shapes.size() && requests.get(shapes.get(i).first).all()) {
                Shape shape = shapes.get(i++);
                for (int m = 0; m < shape.size; m++) {
                    placeOnEveryNode(shape.members[m], requests.get(shape.first));
                }
            }
            List<Shape> rest = shapes.subList(i, shapes.size());
            // the shapes without constraints can be placed by a stage of their own: the others go
            // first, one instance at a time, so that their limits and labels are checked as before
            // (an app with any constrained shape keeps all its shapes on that path: a per-node limit
            // counts every instance of the app, so its unconstrained asks must be placed beside it)
            java.util.Set<String> constrainedApps = new java.util.HashSet<>();
            for (Shape shape : rest) {
                if (constrainedAsk(requests.get(shape.first).constraints())) {
                    constrainedApps.add(requests.get(shape.first).app());
                }
            }
            List<Shape> constrained = new ArrayList<>();
            List<Shape> free = new ArrayList<>();
            for (Shape shape : rest) {
                (constrainedApps.contains(requests.get(shape.first).app()) ? constrained : free).add(shape);
            }
            int dimension = onlyDimension(free);
            if (strategy == Strategy.PACK && dimension != NONE && (dimension != SEVERAL || classes(free) <= MAX_CLASSES)) {
                placeEach(constrained);
                fillBinByBin(free, dimension);
                // what is left fits no node: the item-centric path says why
                placeEach(free);
                return result();
            }
            if (strategy == Strategy.SPREAD && !free.isEmpty()) {
                CapacityClasses classes = capacityClasses();
                if (classes != null) {
                    placeEach(constrained);
                    for (Shape shape : free) {
                        spreadByClass(shape, classes);
                    }
                    placeEach(free);
                    return result();
                }
            }
            placeEach(rest);
            return result();
        }

        /**
         * Places the shapes one instance at a time, in their order of work; shapes of one size
         * class take turns in proportion to their instances, so that a node is filled with a mix
         * of them rather than with many copies of one.
         */
        private void placeEach(List<Shape> shapes) {
            PriorityQueue<Shape> turn = new PriorityQueue<>((a, b) -> {
                int c = Double.compare(a.turn(), b.turn());
                if (c == 0) {
                    c = Double.compare(b.weight, a.weight);
                }
                return c != 0 ? c : Integer.compare(a.first, b.first);
            });
            int i = 0;
            while (i < shapes.size()) {
                double primary = shapes.get(i).primary;
                while (i < shapes.size() && shapes.get(i).primary == primary) {
                    Shape shape = shapes.get(i++);
                    start(shape);
                    if (shape.need > 0) {
                        turn.add(shape);
                    }
                }
                while (!turn.isEmpty()) {
                    Shape shape = turn.poll();
                    if (placeOne(shape)) {
                        turn.add(shape);
                    }
                }
            }
        }

        /**
         * The one dimension the shapes ask for, {@link #SEVERAL} when they ask for more than one,
         * {@link #NONE} when they ask for none.
         */
        private int onlyDimension(List<Shape> shapes) {
            int only = NONE;
            for (Shape shape : shapes) {
                for (int d = 0; d < shape.demand.length; d++) {
                    if (shape.demand[d] > 0) {
                        if (only != NONE && only != d) {
                            return SEVERAL;
                        }
                        only = d;
                    }
                }
            }
            return only;
        }

        /**
         * Packs the (unconstrained) shapes node by node, over their distinct demands, into the up
         * nodes in pack rank order: with {@link BinCompletion} for one dimension, with
         * {@link DotProductFill} for several.
         */
        private void fillBinByBin(List<Shape> shapes, int dimension) {
            Map<List<Double>, List<Shape>> byDemand = new HashMap<>();
            List<List<Shape>> classes = new ArrayList<>();
            for (Shape shape : shapes) {
                start(shape);
                if (shape.need > 0) {
                    List<Double> key = Arrays.stream(shape.demand).boxed().toList();
                    List<Shape> members = byDemand.get(key);
                    if (members == null) {
                        members = new ArrayList<>();
                        byDemand.put(key, members);
                        classes.add(members);
                    }
                    members.add(shape);
                }
            }
            if (dimension != SEVERAL) {
                classes.sort((a, b) -> Double.compare(a.get(0).demand[dimension], b.get(0).demand[dimension]));
            }
            double[][] demands = new double[classes.size()][];
            long[] counts = new long[classes.size()];
            int[] next = new int[classes.size()];
            for (int c = 0; c < classes.size(); c++) {
                demands[c] = classes.get(c).get(0).demand;
                for (Shape shape : classes.get(c)) {
                    counts[c] += shape.instances - shape.done;
                }
            }
            Fill fill = (c, node) -> {
                List<Shape> members = classes.get(c);
                while (members.get(next[c]).need == 0) {
                    next[c]++;
                }
                placeOn(members.get(next[c]), node);
            };
            int[] nodes = upNodesInRankOrder();
            if (dimension == SEVERAL) {
                new DotProductFill(table, demands, counts).run(nodes, fill);
            } else {
                new BinCompletion(table, dimension, demands, counts).run(nodes, fill);
            }
        }

        /** How many distinct demands the shapes ask for. */
        private int classes(List<Shape> shapes) {
            Set<List<Double>> distinct = new HashSet<>();
            for (Shape shape : shapes) {
                distinct.add(Arrays.stream(shape.demand).boxed().toList());
            }
            return distinct.size();
        }

        /**
         * Places the (unconstrained) shape's instances one at a time, each on the node that
         * {@link CapacityClasses} finds least loaded once it is placed; stops at the first that
         * fits no node, leaving it and the rest to the item-centric path to explain.
         */
        private void spreadByClass(Shape shape, CapacityClasses classes) {
            start(shape);
            while (shape.need > 0) {
                int node = classes.choose(shape.demand, shape.app, shape.ask);
                if (node < 0) {
                    return;
                }
                placeOn(shape, node);
            }
        }

        /**
         * The up nodes with room, in the pipeline's rank order (best first); among equally ranked
         * ones (empty nodes, say), the larger first (by capacity relative to the mean, over the
         * dimensions weighted as the batch asks for them), so that fewer nodes are opened. Read
         * off the (kept) index of the up nodes, which is in rank order already; only runs of
         * equal rank whose nodes differ in size are sorted.
         */
        private int[] upNodesInRankOrder() {
            int[] nodes = index(Map.of()).inOrder();
            int count = 0;
            for (int node : nodes) {
                if (!full[node]) {
                    nodes[count++] = node;
                }
            }
            for (int i = 0, j; i < count; i = j) {
                double first = size(nodes[i]);
                boolean differ = false;
                for (j = i + 1; j < count && table.compareRank(nodes[i], nodes[j]) == 0; j++) {
                    differ |= size(nodes[j]) != first;
                }
                if (differ) {
                    Integer[] run = new Integer[j - i];
                    for (int k = i; k < j; k++) {
                        run[k - i] = nodes[k];
                    }
                    Arrays.sort(run, (a, b) -> {
                        int c = Double.compare(size(b), size(a));
                        return c != 0 ? c : Integer.compare(a, b);
                    });
                    for (int k = i; k < j; k++) {
                        nodes[k] = run[k - i];
                    }
                }
            }
            return Arrays.copyOf(nodes, count);
        }

        /** Node {@code n}'s capacity relative to the mean, over the dimensions weighted as the batch asks for them. */
        private double size(int n) {
            double size = 0;
            for (int d = 0; d < mean.length; d++) {
                double c = table.capacity(n, d);
                if (mean[d] > 0 && c != Double.POSITIVE_INFINITY) {
                    size += weights[d] * c / mean[d];
                }
            }
            return size;
        }

        /** Places the shape's next instance on {@code node}, which the caller found feasible. */
        private void placeOn(Shape shape, int node) {
            undo.add(node, shape.app, shape.demand);
            record(shape.members[shape.member], node);
            reindex(node);
            shape.need--;
            shape.done++;
            advance(shape);
        }

        /**
         * The shapes in the order of work: {@code all} first, then by decreasing size class, then
         * by decreasing size, then input order. Also ranks the nodes, with the dimensions weighted
         * by how scarce the batch makes them.
         */
        private List<Shape> shapes() {
            Map<Shape.Key, Shape> byKey = new HashMap<>();
            List<Shape> shapes = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
                PlacementRequest r = requests.get(i);
                if (!r.all() && r.count() == 0) {
                    continue;
                }
                Shape.Key key = new Shape.Key(r.app(), r.demand(), r.constraints(), r.all());
                Shape shape = byKey.get(key);
                if (shape == null) {
                    shape = new Shape(i);
                    byKey.put(key, shape);
                    shapes.add(shape);
                } else {
                    shape.add(i);
                }
            }
            int dims = table.dimensions();
            double[] total = new double[dims];
            mean = kept.capacity(total);
            double[] asked = new double[dims];
            smallest = new double[dims];
            Arrays.fill(smallest, Double.POSITIVE_INFINITY);
            for (Shape shape : shapes) {
                PlacementRequest r = requests.get(shape.first);
                shape.demand = table.demand(r.demand(), new double[dims]);
                long instances = 0;
                for (int m = 0; m < shape.size; m++) {
                    instances += r.all() ? 1 : requests.get(shape.members[m]).count();
                }
                shape.instances = instances;
                for (int d = 0; d < dims; d++) {
                    asked[d] += shape.demand[d] * instances;
                    smallest[d] = Math.min(smallest[d], shape.demand[d]);
                }
            }
            // scarcity: the share of each dimension's capacity that the batch asks for
            weights = new double[dims];
            double sum = 0;
            int asking = 0;
            for (int d = 0; d < dims; d++) {
                weights[d] = total[d] > 0 ? asked[d] / total[d] : 0;
                sum += weights[d];
                if (weights[d] > 0) {
                    asking++;
                }
            }
            if (sum == 0) {
                Arrays.fill(weights, 1);
            }
            double[] typical = new double[dims];
            long all = 0;
            for (Shape shape : shapes) {
                all += shape.instances;
            }
            for (int d = 0; d < dims && all > 0; d++) {
                typical[d] = asked[d] / all;
            }
            kept.rank(weights, typical);
            for (Shape shape : shapes) {
                double w = 0;
                for (int d = 0; d < dims; d++) {
                    if (mean[d] > 0) {
                        w += weights[d] * shape.demand[d] / mean[d];
                    }
                }
                shape.weight = w;
                // one dimension: plain decreasing size; several: one class, mixed in proportion
                shape.primary = asking > 1 && strategy == Strategy.PACK ? 0 : w;
            }
            shapes.sort((a, b) -> {
                boolean allA = requests.get(a.first).all();
                boolean allB = requests.get(b.first).all();
                if (allA != allB) {
                    return allA ? -1 : 1;
                }
                int c = Double.compare(b.primary, a.primary);
                if (c == 0) {
                    c = Double.compare(b.weight, a.weight);
                }
                return c != 0 ? c : Integer.compare(a.first, b.first);
            });
            return shapes;
        }

        /** Readies a shape for {@link #placeOne}: its app, limit and first request; once. */
        private void start(Shape shape) {
            if (shape.ask != null) {
                return;
            }
            PlacementRequest first = requests.get(shape.first);
            shape.ask = Ask.of(shape.first, first);
            shape.app = table.appId(first.app());
            shape.limit = first.constraints().perNodeLimit();
            shape.bound = new long[pipeline.rankers().size()];
            shape.member = 0;
            shape.need = requests.get(shape.first).count();
            advance(shape);
        }

        /** Moves on to the shape's next request with instances still to place, if any. */
        private void advance(Shape shape) {
            while (shape.need == 0 && shape.member + 1 < shape.size) {
                shape.member++;
                shape.need = requests.get(shape.members[shape.member]).count();
            }
        }

        /**
         * Places one instance of the shape; false when the shape is done: all placed, or no node
         * can take the next one (then it and the rest of the shape are unplaced, for one reason:
         * nodes only fill up).
         *
         * <p>The search resumes where the shape's last one stopped, when that is exact or cheap:
         * spread moves a node it places on down the order, so the nodes before the resume point
         * stay infeasible for the shape; pack moves it up, past the resume point, so pack resumes
         * only for shapes with a per-node limit (where the nodes it filled are turned down anyway,
         * and starting over would pass them again and again), and starts over before giving up.
         */
        private boolean placeOne(Shape shape) {
            if (shape.index == null) {
                shape.index = index(requests.get(shape.first).constraints().nodeLabels());
            }
            NodeIndex index = shape.index;
            int firstFit;
            if (strategy == Strategy.SPREAD) {
                firstFit = index.first(shape.demand, shape.app, shape.limit, shape.bounded ? shape.bound : null,
                        shape.boundNode, shape.strict, Integer.MAX_VALUE);
            } else {
                firstFit = index.first(shape.demand, shape.app, shape.limit, null, -1, false, PASS_OVER);
                if (firstFit == NodeIndex.GAVE_UP && shape.bounded) {
                    firstFit = index.first(shape.demand, shape.app, shape.limit, shape.bound, shape.boundNode,
                            shape.strict, Integer.MAX_VALUE);
                }
                if (firstFit < 0) {
                    // nothing after the resume point: make sure, from the start, before giving up
                    firstFit = index.first(shape.demand, shape.app, shape.limit, null, -1, false, Integer.MAX_VALUE);
                }
            }
            int node = breakTie(shape.index, firstFit, shape.demand, shape.app, shape.limit, shape.ask);
            if (node < 0) {
                String reason = pipeline.explain(table.views(), shape.ask);
                String app = shape.ask.app();
                unplaced[shape.members[shape.member]] = new Placement.Unplaced(shape.members[shape.member], app,
                        shape.need, reason);
                for (int m = shape.member + 1; m < shape.size; m++) {
                    int request = shape.members[m];
                    int count = requests.get(request).count();
                    if (count > 0) {
                        unplaced[request] = new Placement.Unplaced(request, app, count, reason);
                    }
                }
                return false;
            }
            // resume at the first feasible node: when another was chosen, that one is still first;
            // when it is the one placed on, what came before it stays infeasible
            table.copyRank(firstFit, shape.bound);
            shape.boundNode = firstFit;
            shape.bounded = true;
            shape.strict = node == firstFit;
            undo.add(node, shape.app, shape.demand);
            record(shape.members[shape.member], node);
            reindex(node);
            if (strategy == Strategy.PACK && node == firstFit && table.fits(node, shape.demand)
                    && table.count(shape.app, node) < shape.limit) {
                // pack moved the node up, and it is still the best: resume on it
                table.copyRank(node, shape.bound);
                shape.strict = false;
            }
            shape.need--;
            shape.done++;
            advance(shape);
            return shape.need > 0;
        }

        /**
         * The node to take among the feasible ones: {@code firstFit}, unless the pipeline's
         * tie-breakers prefer one of the next few feasible nodes in order.
         */
        private int breakTie(NodeIndex index, int firstFit, double[] demand, int app, int limit, Ask ask) {
            List<TieBreaker> tieBreakers = pipeline.tieBreakers();
            if (firstFit < 0 || tieBreakers.isEmpty()) {
                return firstFit;
            }
            double[] best = scores(tieBreakers, firstFit, ask, bestScores);
            double[] scores = windowScores;
            int chosen = firstFit;
            int current = firstFit;
            for (int w = 1; w < WINDOW; w++) {
                table.copyRank(current, scratch);
                int next = index.first(demand, app, limit, scratch, current, true, Integer.MAX_VALUE);
                if (next < 0) {
                    break;
                }
                scores(tieBreakers, next, ask, scores);
                if (Pipeline.compare(scores, best) > 0) {
                    System.arraycopy(scores, 0, best, 0, scores.length);
                    chosen = next;
                }
                current = next;
            }
            return chosen;
        }

        private double[] scores(List<TieBreaker> tieBreakers, int node, Ask ask, double[] into) {
            for (int i = 0; i < into.length; i++) {
                into[i] = tieBreakers.get(i).score(table.view(node), ask);
            }
            return into;
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
                    undo.add(n, app, demand);
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

        /**
         * Spread's capacity classes, registered in {@link #built} before any of their placements (a
         * node left at a stale position corrupts a tree): the kept ones, unless nodes are already
         * too full for the batch (then the classes of the others, for this call only).
         */
        private CapacityClasses capacityClasses() {
            if (fullNodes == 0) {
                return kept.classes(pipeline, built);
            }
            boolean[] eligible = new boolean[table.size()];
            for (int n = 0; n < table.size(); n++) {
                eligible[n] = table.up(n) && !full[n];
            }
            CapacityClasses classes = CapacityClasses.of(table, pipeline, eligible);
            if (classes != null) {
                built.addAll(classes.indexes());
            }
            return classes;
        }

        /**
         * The index of the up nodes carrying {@code labels}. A kept index may hold nodes that are
         * already too full for the batch: they fit no shape, so no search returns or counts them.
         */
        private NodeIndex index(Map<String, String> labels) {
            return kept.index(labels, built);
        }

        /**
         * Moves node {@code n} to its new place in every index, after {@link NodeTable#add}; or
         * drops it from them when it has become too full for any shape of the batch, so that
         * searches no longer pass it.
         */
        private void reindex(int n) {
            if (!full[n]) {
                for (int d = 0; d < smallest.length; d++) {
                    if (table.free(n, d) - smallest[d] < -Filters.EPSILON) {
                        full[n] = true;
                        fullNodes++;
                        break;
                    }
                }
            }
            for (NodeIndex index : built) {
                if (index.contains(n)) {
                    if (full[n]) {
                        index.drop(n);
                    } else {
                        index.remove(n);
                    }
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
}
