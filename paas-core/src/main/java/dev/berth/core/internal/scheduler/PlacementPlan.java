// Owns the plan of one placement call: which stage places which shapes, in what order, read top to bottom.
package dev.berth.core.internal.scheduler;

import dev.berth.api.Constraints;
import dev.berth.spi.Placement;
import dev.berth.spi.PlacementRequest;
import dev.berth.spi.Scheduler.Strategy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The chain of stages one call goes through, built in one place ({@link #run}), like Nomad's
 * stack: each stage applies the pipeline's cheap filters first (node up, labels, per-node limit,
 * fits capacity), then its ranking, then selects.
 * <ol>
 *   <li>{@code all} shapes: {@link PlaceOnEveryNode};</li>
 *   <li>shapes with constraints (labels or a per-node limit), and every shape of their apps:
 *       {@link PlaceOneByOne}, so that limits and labels are checked instance by instance;</li>
 *   <li>the unconstrained rest, by a bin-centric stage when one applies: pack, one dimension:
 *       {@link PackBinByBin#completion}; pack, several dimensions, at most {@value #MAX_CLASSES}
 *       distinct demands: {@link PackBinByBin#dotProduct}; spread, at most
 *       {@value CapacityClasses#MAX_CLASSES} node sizes: {@link SpreadByClass};</li>
 *   <li>what that stage could not place fits no node: {@link PlaceOneByOne} says why. When no
 *       bin-centric stage applies, {@link PlaceOneByOne} places all shapes but {@code all}.</li>
 * </ol>
 * Confined to one call; not thread-safe.
 */
final class PlacementPlan {
    /** At most this many distinct demands (of several dimensions) are packed node by node, see {@link DotProductFill}. */
    static final int MAX_CLASSES = 1024;

    /** {@code onlyDimension}: the shapes ask for no dimension, or for several. */
    private static final int NONE = -1;
    private static final int SEVERAL = -2;

    private final Strategy strategy;
    private final Batch batch;
    private final Stage everyNode;
    private final Stage oneByOne;

    /** The plan of a call placing {@code requests} on {@code kept}'s working copy. */
    PlacementPlan(Strategy strategy, Pipeline pipeline, KeptNodes kept, List<PlacementRequest> requests) {
        this.strategy = strategy;
        this.batch = new Batch(strategy, pipeline, kept, requests);
        this.everyNode = new PlaceOnEveryNode(batch, pipeline);
        this.oneByOne = new PlaceOneByOne(batch, strategy, pipeline);
    }

    /** Runs the plan: the placement, with the kept working copy left as it was found. */
    Placement run() {
        List<Shape> shapes = batch.open();
        int i = 0;
        while (i < shapes.size() && batch.request(shapes.get(i).first).all()) {
            i++;
        }
        // 1. all: one instance on every eligible node; no choice of node, so before the rest
        everyNode.place(shapes.subList(0, i));
        List<Shape> rest = shapes.subList(i, shapes.size());
        List<Shape> constrained = new ArrayList<>();
        List<Shape> free = new ArrayList<>();
        split(rest, constrained, free);
        // chosen now, after the all shapes: spread's capacity classes leave out the nodes they filled
        Stage binCentric = binCentric(free);
        if (binCentric == null) {
            // 2-4. no bin-centric stage applies: one instance at a time, filters, ranking, select
            oneByOne.place(rest);
        } else {
            // 2. constrained shapes, one instance at a time, so that limits and labels are checked
            oneByOne.place(constrained);
            // 3. the unconstrained ones node by node (pack) or class by class (spread)
            binCentric.place(free);
            // 4. what is left fits no node: the item-centric stage says why
            oneByOne.place(free);
        }
        return batch.close();
    }

    /**
     * Splits the shapes into those placed one instance at a time and those a bin-centric stage
     * may place: an app with any constrained shape keeps all its shapes on the first path (a
     * per-node limit counts every instance of the app, so its unconstrained asks must be placed
     * beside it).
     */
    private void split(List<Shape> shapes, List<Shape> constrained, List<Shape> free) {
        Set<String> constrainedApps = new HashSet<>();
        for (Shape shape : shapes) {
            if (constrainedAsk(batch.request(shape.first).constraints())) {
                constrainedApps.add(batch.request(shape.first).app());
            }
        }
        for (Shape shape : shapes) {
            (constrainedApps.contains(batch.request(shape.first).app()) ? constrained : free).add(shape);
        }
    }

    private static boolean constrainedAsk(Constraints c) {
        return c.perNodeLimit() != Integer.MAX_VALUE || !c.nodeLabels().isEmpty();
    }

    /** The bin-centric stage for the unconstrained shapes {@code free}, or null when none applies. */
    private Stage binCentric(List<Shape> free) {
        if (strategy == Strategy.PACK) {
            int dimension = onlyDimension(free);
            if (dimension >= 0) {
                return PackBinByBin.completion(batch, dimension);
            }
            if (dimension == SEVERAL && demandClasses(free) <= MAX_CLASSES) {
                return PackBinByBin.dotProduct(batch);
            }
            return null;
        }
        if (strategy == Strategy.SPREAD && !free.isEmpty()) {
            CapacityClasses classes = batch.capacityClasses();
            return classes == null ? null : new SpreadByClass(batch, classes);
        }
        return null;
    }

    /**
     * The one dimension the shapes ask for, {@link #SEVERAL} when they ask for more than one,
     * {@link #NONE} when they ask for none.
     */
    private static int onlyDimension(List<Shape> shapes) {
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

    /** How many distinct demands the shapes ask for. */
    private static int demandClasses(List<Shape> shapes) {
        Set<List<Double>> distinct = new HashSet<>();
        for (Shape shape : shapes) {
            distinct.add(Arrays.stream(shape.demand).boxed().toList());
        }
        return distinct.size();
    }
}
