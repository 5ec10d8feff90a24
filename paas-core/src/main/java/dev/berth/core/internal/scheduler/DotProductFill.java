package dev.berth.core.internal.scheduler;

/**
 * Pack's bin-centric fill for several dimensions: the nodes are taken one at a time, best first
 * (in the pack rank, so partially filled ones first), and each is filled before the next is
 * opened. A node is opened with the largest demand class that fits (largest in its largest
 * dimension relative to the node's capacity: the items that cannot share a node go first, as in
 * first-fit-decreasing), then filled, as long as something fits, with the class whose demand is
 * best aligned with what the node has left: the largest dot product of the demand and the free
 * capacity, both normalised by the node's capacity and by their lengths (the cosine), ties to
 * the larger demand. This is the alignment family of Panigrahy, Talwar, Uyeda and Wieder,
 * "Heuristics for vector bin packing" (Microsoft Research, 2011), bin-centric: a node's
 * dimensions fill up together instead of one running out and stranding the others, which an
 * item-centric best fit does on identical nodes.
 *
 * <p>Choosing well for one node can starve the next ones (the aligned classes run out and the
 * last nodes get only lopsided ones), so the classes are consumed in proportion: a class is
 * <em>due</em> while the share of its instances placed is at most the share of all instances
 * placed plus {@value #SLACK}, and only due classes are considered, unless none of them fits.
 *
 * <p>Each step looks at every demand class with instances left, O(C·D) for C classes of D
 * dimensions (the engine uses it only when the classes are few). Nodes only fill up and instances
 * are only taken, so one pass over the nodes suffices: what is left at the end fits no node.
 * Existing allocations never move. Deterministic (equal scores: the lower class). Confined to
 * one call; not thread-safe.
 */
final class DotProductFill {
    /** How far ahead of the batch's progress a class may be and still be due. */
    static final double SLACK = 0.02;

    /** Alignments are compared on this grid, so that the larger of two near-equally aligned demands wins. */
    private static final double GRID = 1e-3;

    private final NodeTable table;
    private final int dims;
    private final double[][] demands;
    private final long[] counts;
    private final long[] total;
    private long totalAll;
    private long placedAll;
    /** The classes with instances left, in class order, the first {@link #active} of them. */
    private final int[] live;
    private int active;
    /** Per class, its demand relative to the current node's capacity, and that vector's length. */
    private final double[][] relative;
    private final double[] length;
    private final double[] inverseLength;

    /** A fill over the demand classes {@code demands}, with {@code counts} instances each (updated as they are placed). */
    DotProductFill(NodeTable table, double[][] demands, long[] counts) {
        this.table = table;
        this.dims = table.dimensions();
        this.demands = demands;
        this.counts = counts;
        this.total = counts.clone();
        this.live = new int[demands.length];
        this.relative = new double[demands.length][dims];
        this.length = new double[demands.length];
        this.inverseLength = new double[demands.length];
        for (int c = 0; c < demands.length; c++) {
            totalAll += counts[c];
            if (counts[c] > 0) {
                live[active++] = c;
            }
        }
    }

    /** Fills the {@code nodes}, in this order, with the classes' instances, through {@code fill}. */
    void run(int[] nodes, Fill fill) {
        double[] scale = new double[dims];
        double[] free = new double[dims];
        double[] freeRelative = new double[dims];
        for (int i = 0; i < nodes.length && active > 0; i++) {
            int node = nodes[i];
            for (int d = 0; d < dims; d++) {
                double capacity = table.capacity(node, d);
                // an unlimited or empty dimension does not steer the choice
                scale[d] = capacity > 0 && capacity != Double.POSITIVE_INFINITY ? 1 / capacity : 0;
            }
            for (int k = 0; k < active; k++) {
                int c = live[k];
                double sum = 0;
                for (int d = 0; d < dims; d++) {
                    relative[c][d] = demands[c][d] * scale[d];
                    sum += relative[c][d] * relative[c][d];
                }
                length[c] = Math.sqrt(sum);
                inverseLength[c] = sum == 0 ? 0 : 1 / length[c];
            }
            boolean opening = true;
            while (active > 0) {
                double sum = 0;
                for (int d = 0; d < dims; d++) {
                    free[d] = table.free(node, d);
                    freeRelative[d] = scale[d] == 0 ? 0 : free[d] * scale[d];
                    sum += freeRelative[d] * freeRelative[d];
                }
                double inverseFree = sum == 0 ? 0 : 1 / Math.sqrt(sum);
                double due = (double) placedAll / totalAll + SLACK;
                int bestAt = choose(free, freeRelative, inverseFree, due, opening);
                if (bestAt < 0) {
                    bestAt = choose(free, freeRelative, inverseFree, Double.POSITIVE_INFINITY, opening);
                }
                if (bestAt < 0) {
                    break;
                }
                int best = live[bestAt];
                opening = false;
                fill.place(best, node);
                placedAll++;
                if (--counts[best] == 0) {
                    System.arraycopy(live, bestAt + 1, live, bestAt, active - bestAt - 1);
                    active--;
                }
            }
        }
    }

    /**
     * The position in {@link #live} of the best class that fits {@code free} among those whose
     * share placed is at most {@code due}: when {@code opening}, the largest; else the best
     * aligned with {@code freeRelative} (whose inverse length is {@code inverseFree}). -1 when
     * none fits.
     */
    private int choose(double[] free, double[] freeRelative, double inverseFree, double due, boolean opening) {
        int bestAt = -1;
        long bestCell = Long.MIN_VALUE;
        double bestSize = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < active; k++) {
            int c = live[k];
            if (total[c] - counts[c] > due * total[c]) {
                continue;
            }
            double[] demand = demands[c];
            double[] rel = relative[c];
            double dot = 0;
            double largest = 0;
            boolean fits = true;
            for (int d = 0; d < dims; d++) {
                if (free[d] - demand[d] < -Filters.EPSILON) {
                    fits = false;
                    break;
                }
                dot += rel[d] * freeRelative[d];
                largest = Math.max(largest, rel[d]);
            }
            if (!fits) {
                continue;
            }
            // opening: the largest; else the best aligned on the grid, then the larger
            long cell = opening ? 0 : Math.round(dot * inverseLength[c] * inverseFree / GRID);
            double size = opening ? largest : length[c];
            if (cell > bestCell || (cell == bestCell && size > bestSize)) {
                bestCell = cell;
                bestSize = size;
                bestAt = k;
            }
        }
        return bestAt;
    }
}
