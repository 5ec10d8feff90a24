// Owns pack's bin-centric placement stage: unconstrained shapes packed node by node, with BinCompletion (one dimension) or DotProductFill (several).
package dev.berth.core.internal.scheduler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Pack's stage for the shapes without constraints: their instances are grouped by distinct
 * demand and packed node by node into the up nodes in pack rank order (partially filled first,
 * then the larger), each node filled before the next is opened:
 * <ul>
 *   <li>one dimension: {@link BinCompletion}, the largest item and then the best pair for what is
 *       left (Falkenauer's triplets come out near their optimum);</li>
 *   <li>several dimensions: {@link DotProductFill}, the demand best aligned with what the node has
 *       left, the demands consumed in proportion.</li>
 * </ul>
 * What it cannot place fits no node; the plan then has {@link PlaceOneByOne} say why. Confined to
 * one call; not thread-safe.
 */
final class PackBinByBin implements Stage {
    /** {@link #dimension} when the shapes ask for several dimensions. */
    private static final int SEVERAL = -1;

    private final Batch batch;
    private final NodeTable table;
    /** The one dimension the shapes ask for, or {@link #SEVERAL}. */
    private final int dimension;

    private PackBinByBin(Batch batch, int dimension) {
        this.batch = batch;
        this.table = batch.table();
        this.dimension = dimension;
    }

    /** The stage for shapes that ask for {@code dimension} alone: {@link BinCompletion}. */
    static PackBinByBin completion(Batch batch, int dimension) {
        return new PackBinByBin(batch, dimension);
    }

    /** The stage for shapes that ask for several dimensions: {@link DotProductFill}. */
    static PackBinByBin dotProduct(Batch batch) {
        return new PackBinByBin(batch, SEVERAL);
    }

    /**
     * Packs the (unconstrained) shapes node by node, over their distinct demands, into the up
     * nodes in pack rank order.
     */
    @Override
    public void place(List<Shape> shapes) {
        Map<List<Double>, List<Shape>> byDemand = new HashMap<>();
        List<List<Shape>> classes = new ArrayList<>();
        for (Shape shape : shapes) {
            batch.start(shape);
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
            batch.placeOn(members.get(next[c]), node);
        };
        int[] nodes = upNodesInRankOrder();
        if (dimension == SEVERAL) {
            new DotProductFill(table, demands, counts).run(nodes, fill);
        } else {
            new BinCompletion(table, dimension, demands, counts).run(nodes, fill);
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
        int[] nodes = batch.index(Map.of()).inOrder();
        int count = 0;
        for (int node : nodes) {
            if (!batch.full(node)) {
                nodes[count++] = node;
            }
        }
        for (int i = 0, j; i < count; i = j) {
            double first = batch.size(nodes[i]);
            boolean differ = false;
            for (j = i + 1; j < count && table.compareRank(nodes[i], nodes[j]) == 0; j++) {
                differ |= batch.size(nodes[j]) != first;
            }
            if (differ) {
                Integer[] run = new Integer[j - i];
                for (int k = i; k < j; k++) {
                    run[k - i] = nodes[k];
                }
                Arrays.sort(run, (a, b) -> {
                    int c = Double.compare(batch.size(b), batch.size(a));
                    return c != 0 ? c : Integer.compare(a, b);
                });
                for (int k = i; k < j; k++) {
                    nodes[k] = run[k - i];
                }
            }
        }
        return Arrays.copyOf(nodes, count);
    }
}
