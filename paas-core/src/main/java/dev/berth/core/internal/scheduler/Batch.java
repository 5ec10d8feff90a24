// Owns one placement call's working state: its shapes in the order of work, the working copy they are placed on, and its indexes kept in step.
package dev.berth.core.internal.scheduler;

import dev.berth.spi.Placement;
import dev.berth.spi.PlacementRequest;
import dev.berth.spi.Scheduler.Strategy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the stages of one call share: the requests grouped into {@link Shape}s, the kept working
 * copy ({@link NodeTable}) every placement goes to through the {@link UndoLog}, every index that
 * holds the table's nodes (moved on each placement, restored at the end), the nodes too full for
 * any shape of the batch, and the {@link Outcome}.
 *
 * <p>Identical asks (same app, demand, constraints) are one shape. The size of a shape is the
 * sum, over the dimensions, of its demand relative to the up nodes' mean capacity, each dimension
 * weighted by its scarcity (the share of its capacity the whole batch asks for); the same weights
 * make pack's utilisation score favour filling the scarce dimension. The shapes are worked
 * through {@code all} first (they have no choice of node), then in decreasing size
 * (best-fit-decreasing; for spread, largest first balances best); when a pack batch asks for
 * several dimensions they are one size class, whose shapes take turns (see {@link PlaceOneByOne}).
 *
 * <p>Confined to one call; not thread-safe.
 */
final class Batch {
    private final Strategy strategy;
    private final Pipeline pipeline;
    private final KeptNodes kept;
    private final NodeTable table;
    private final UndoLog undo;
    private final List<PlacementRequest> requests;
    private final Outcome outcome;
    /** Every index that holds the table's nodes: moved on each placement, restored at the end. */
    private final List<NodeIndex> built = new ArrayList<>();
    /** Per dimension, the up nodes' mean capacity, and how scarce the batch makes it. */
    private double[] mean;
    private double[] weights;
    /** Per dimension, the least any shape of the batch asks for. */
    private double[] smallest;
    /** Nodes with less room than {@link #smallest} in some dimension: no index holds them. */
    private final boolean[] full;
    private int fullNodes;

    Batch(Strategy strategy, Pipeline pipeline, KeptNodes kept, List<PlacementRequest> requests) {
        this.strategy = strategy;
        this.pipeline = pipeline;
        this.kept = kept;
        this.table = kept.table();
        this.undo = kept.undoLog();
        this.requests = requests;
        this.outcome = new Outcome(table, requests);
        this.full = new boolean[table.size()];
    }

    /**
     * The shapes in the order of work, the nodes ranked for them, and the kept indexes taken in
     * step; once, before any placement.
     */
    List<Shape> open() {
        List<Shape> shapes = shapes();
        built.addAll(kept.indexes());
        return shapes;
    }

    /** The placement; the table and its kept indexes are left as they were found. */
    Placement close() {
        Placement placement = outcome.placement();
        undo.revert(built);
        return placement;
    }

    NodeTable table() {
        return table;
    }

    /** The request at index {@code i} of the input list. */
    PlacementRequest request(int i) {
        return requests.get(i);
    }

    /** Readies a shape for placement: its app, limit and first request; once. */
    void start(Shape shape) {
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

    /** Places the shape's next instance on {@code node}, which the caller found feasible. */
    void placeOn(Shape shape, int node) {
        take(shape.members[shape.member], node, shape.app, shape.demand);
        done(shape);
    }

    /** Counts the shape's instance just placed, and moves on to its next request if need be. */
    void done(Shape shape) {
        shape.need--;
        shape.done++;
        advance(shape);
    }

    /** Places one instance of request {@code request} (app id {@code app}, {@code demand}) on {@code node}. */
    void take(int request, int node, int app, double[] demand) {
        undo.add(node, app, demand);
        outcome.placed(request, node);
        reindex(node);
    }

    /**
     * Leaves the shape's current request's remaining instances, and every instance of its later
     * requests, unplaced for {@code reason} (nodes only fill up: what found no node finds none).
     */
    void giveUp(Shape shape, String reason) {
        String app = shape.ask.app();
        outcome.unplaced(shape.members[shape.member], app, shape.need, reason);
        for (int m = shape.member + 1; m < shape.size; m++) {
            int request = shape.members[m];
            int count = requests.get(request).count();
            if (count > 0) {
                outcome.unplaced(request, app, count, reason);
            }
        }
    }

    /** Notes that {@code count} instances of request {@code request} are not placed, and why. */
    void unplaced(int request, String app, int count, String reason) {
        outcome.unplaced(request, app, count, reason);
    }

    /**
     * The index of the up nodes carrying {@code labels}. A kept index may hold nodes that are
     * already too full for the batch: they fit no shape, so no search returns or counts them.
     */
    NodeIndex index(Map<String, String> labels) {
        return kept.index(labels, built);
    }

    /**
     * Spread's capacity classes, registered with the indexes kept in step before any of their
     * placements (a node left at a stale position corrupts a tree): the kept ones, unless nodes
     * are already too full for the batch (then the classes of the others, for this call only).
     */
    CapacityClasses capacityClasses() {
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

    /** Whether node {@code n} has become too full for any shape of the batch. */
    boolean full(int n) {
        return full[n];
    }

    /** Node {@code n}'s capacity relative to the mean, over the dimensions weighted as the batch asks for them. */
    double size(int n) {
        double size = 0;
        for (int d = 0; d < mean.length; d++) {
            double c = table.capacity(n, d);
            if (mean[d] > 0 && c != Double.POSITIVE_INFINITY) {
                size += weights[d] * c / mean[d];
            }
        }
        return size;
    }

    /** Moves on to the shape's next request with instances still to place, if any. */
    private void advance(Shape shape) {
        while (shape.need == 0 && shape.member + 1 < shape.size) {
            shape.member++;
            shape.need = requests.get(shape.members[shape.member]).count();
        }
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
}
