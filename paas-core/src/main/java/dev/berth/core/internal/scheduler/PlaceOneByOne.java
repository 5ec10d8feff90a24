// Owns the item-centric placement stage: each instance to the best feasible node of its shape's index, and why a shape found none.
package dev.berth.core.internal.scheduler;

import dev.berth.spi.Scheduler.Strategy;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The item-centric stage, the pipeline applied one instance at a time: the shape's
 * {@link NodeIndex} (the up nodes carrying its labels, in rank order) applies the cheap filters
 * by construction, skipping subtrees without room and nodes too full for the batch; the first
 * node in rank order that passes the per-node limit and fits is the candidate; spread's
 * tie-breakers choose among it and the next feasible ones, at most {@value Pipeline#WINDOW};
 * select takes the best.
 *
 * <p>Spread resumes each shape's search where its last one stopped (the node it placed on moves
 * down the order, so the nodes before stay infeasible for the shape), so a uniqueHost shape of k
 * instances costs one sweep; pack starts from the best node, and after passing over
 * {@value #PASS_OVER} nodes at the shape's per-node limit resumes where the shape's last search
 * stopped instead. When a shape finds no node, the filters run once over every node to say why;
 * the rest of the shape is unplaced for the same reason (nodes only fill up).
 *
 * <p>Places any shape; the plan gives it the constrained ones, and what a bin-centric stage left
 * (which fits no node: this stage then says why). Confined to one call; not thread-safe.
 */
final class PlaceOneByOne implements Stage {
    /**
     * How many nodes with room but at the app's per-node limit pack passes over, searching from
     * the best node, before it resumes where the shape's last search stopped instead.
     */
    static final int PASS_OVER = 64;

    private final Batch batch;
    private final Strategy strategy;
    private final Pipeline pipeline;
    private final NodeTable table;
    private final long[] scratch;
    private final double[] bestScores;
    private final double[] windowScores;

    PlaceOneByOne(Batch batch, Strategy strategy, Pipeline pipeline) {
        this.batch = batch;
        this.strategy = strategy;
        this.pipeline = pipeline;
        this.table = batch.table();
        this.scratch = new long[pipeline.rankers().size()];
        this.bestScores = new double[pipeline.tieBreakers().size()];
        this.windowScores = new double[pipeline.tieBreakers().size()];
    }

    /**
     * Places the shapes one instance at a time, in their order of work; shapes of one size
     * class take turns in proportion to their instances (a shape's first instance in decreasing
     * size, its i-th of k when i/k of the class is through), so that a node is filled with a mix
     * of them whose dimensions fill up together, rather than with many copies of one that
     * exhaust one dimension and strand the other.
     */
    @Override
    public void place(List<Shape> shapes) {
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
                batch.start(shape);
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
            shape.index = batch.index(batch.request(shape.first).constraints().nodeLabels());
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
            batch.giveUp(shape, pipeline.explain(table.views(), shape.ask));
            return false;
        }
        // resume at the first feasible node: when another was chosen, that one is still first;
        // when it is the one placed on, what came before it stays infeasible
        table.copyRank(firstFit, shape.bound);
        shape.boundNode = firstFit;
        shape.bounded = true;
        shape.strict = node == firstFit;
        batch.take(shape.members[shape.member], node, shape.app, shape.demand);
        if (strategy == Strategy.PACK && node == firstFit && table.fits(node, shape.demand)
                && table.count(shape.app, node) < shape.limit) {
            // pack moved the node up, and it is still the best: resume on it
            table.copyRank(node, shape.bound);
            shape.strict = false;
        }
        batch.done(shape);
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
        for (int w = 1; w < Pipeline.WINDOW; w++) {
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
}
