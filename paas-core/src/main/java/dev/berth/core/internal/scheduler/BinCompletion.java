package dev.berth.core.internal.scheduler;

/**
 * Pack's bin-centric completion for one dimension: the nodes are taken one at a time, best first
 * (in the pack rank, so partially filled ones first), and each is filled before the next is
 * opened: first with the largest remaining item that fits (or one of the next few largest, when
 * that one completes the node better), then, as long as something fits, with the best pair (or
 * single item) of the remaining ones for the space that is left: an exact fit when there is one,
 * and of the exact pairs (when the classes are at most {@value #BALANCE_CLASSES}) the one whose
 * scarcer class has the most instances left, then the one of closest sizes. This is the
 * minimum-bin-slack idea (Gupta and Ho, "A new heuristic algorithm for the one-dimensional
 * bin-packing problem", 1999; Fleszar and Hindi, 2002) bounded to pairs: item-centric
 * best-fit-decreasing lands 15–20% above the optimum on Falkenauer's triplets, where each optimal
 * bin holds one large item and the exact pair that completes it.
 *
 * <p>Items are grouped into classes of equal demand (in the batch, usually few), and the search
 * is over the classes that still have instances: a node tries at most {@value #FIRST_CANDIDATES}
 * first items and {@value #NODE_BUDGET} pairs for them in all, each pair costing O(log C) for C
 * classes; a fill within {@value #CLOSE_ENOUGH} of the capacity counts as exact. Nodes only fill
 * up and items are only taken, so one pass over the nodes suffices: what is left at the end fits
 * no node. Existing allocations never move. Deterministic. Confined to one call; not thread-safe.
 */
final class BinCompletion {
    /** How many classes, largest first, are tried as the larger item of a pair. */
    static final int PAIR_CANDIDATES = 256;

    /** How many pairs a node's first item and its completion may try in all. */
    static final int NODE_BUDGET = 512;

    /** Up to this many classes, the best of the exact pairs is looked for, not the first found. */
    static final int BALANCE_CLASSES = 1024;

    /** A fill that leaves less than this share of the node's capacity free is as good as exact. */
    static final double CLOSE_ENOUGH = 1e-4;

    /** How many classes, largest first, are tried as a node's first item. */
    static final int FIRST_CANDIDATES = 32;

    private final NodeTable table;
    private final int dimension;
    private final double[] sizes;
    private final long[] counts;
    private final double[][] demands;
    /** Per class, itself when it has instances left, else a lower class to look at (path-compressed). */
    private final int[] link;
    private final boolean balance;
    private long remaining;
    /** How many more pairs the current search may try. */
    private int budget;
    /** The current node's {@link #CLOSE_ENOUGH}, at least {@link Filters#EPSILON}. */
    private double tolerance;
    /** No class below this one has instances left. */
    private int lowest;

    /**
     * A completion over the demand classes {@code demands} (vectors over the table's dimensions,
     * zero outside {@code dimension}), sorted by increasing amount in {@code dimension}, with
     * {@code counts} instances each (updated as they are placed).
     */
    BinCompletion(NodeTable table, int dimension, double[][] demands, long[] counts) {
        this.table = table;
        this.dimension = dimension;
        this.demands = demands;
        this.counts = counts;
        this.sizes = new double[demands.length];
        this.link = new int[demands.length];
        this.balance = demands.length <= BALANCE_CLASSES;
        for (int c = 0; c < demands.length; c++) {
            sizes[c] = demands[c][dimension];
            link[c] = counts[c] > 0 ? c : c - 1;
            remaining += counts[c];
        }
    }

    /** Fills the {@code nodes}, in this order, with the classes' instances, through {@code fill}. */
    void run(int[] nodes, Fill fill) {
        for (int i = 0; i < nodes.length && remaining > 0; i++) {
            int node = nodes[i];
            double free = table.free(node, dimension);
            int first = below(upTo(free), -1);
            if (first < 0 || !table.fits(node, demands[first])) {
                continue;
            }
            // the first item: the largest that fits, unless a smaller one of the next few
            // completes the node better with a pair
            budget = NODE_BUDGET;
            double capacity = table.capacity(node, dimension);
            tolerance = capacity == Double.POSITIVE_INFINITY ? Filters.EPSILON : Math.max(Filters.EPSILON, capacity * CLOSE_ENOUGH);
            double bestTotal = -1;
            int bestFirst = -1;
            int bestA = -1;
            int bestB = -1;
            for (int k = 0; k < FIRST_CANDIDATES && first >= 0 && bestTotal < free - tolerance
                    && (k == 0 || budget > 0); k++) {
                double total = sizes[first] + complete(free - sizes[first], first);
                if (total > bestTotal + Filters.EPSILON) {
                    bestTotal = total;
                    bestFirst = first;
                    bestA = pairA;
                    bestB = pairB;
                }
                first = below(first - 1, -1);
            }
            take(bestFirst, node, fill);
            if (bestA >= 0) {
                take(bestA, node, fill);
            }
            if (bestB >= 0) {
                take(bestB, node, fill);
            }
            // then, while something fits, the best pair or single item for what is left
            while (remaining > 0) {
                budget = PAIR_CANDIDATES;
                if (complete(table.free(node, dimension), -1) == 0) {
                    break;
                }
                take(pairA, node, fill);
                if (pairB >= 0) {
                    take(pairB, node, fill);
                }
            }
        }
    }

    /** The larger and the smaller item of the last {@link #complete}; -1 when none. */
    private int pairA;
    private int pairB;

    /**
     * The best single item or pair of items for {@code room} (into {@link #pairA} and
     * {@link #pairB}), with one instance of class {@code reserved} already taken; returns how
     * much of the room it fills, 0 when nothing fits.
     */
    private double complete(double room, int reserved) {
        pairA = below(upTo(room), reserved);
        pairB = -1;
        if (pairA < 0) {
            return 0;
        }
        double best = sizes[pairA];
        while (counts[lowest] == 0) {
            lowest++;
        }
        // the larger item of a pair leaves room for at least the smallest one
        int a = below(upTo(room - sizes[lowest]), reserved);
        for (int k = 0; k < PAIR_CANDIDATES && budget-- > 0 && a >= 0; k++) {
            if (2 * sizes[a] < best - tolerance || (best >= room - tolerance && !balance)) {
                break;
            }
            int b = below(upTo(room - sizes[a]), reserved);
            if (b >= a) {
                b = available(a, reserved) >= 2 ? a : below(a - 1, reserved);
            }
            // a better pair; or, once the room is filled, as good a pair whose scarcer class has
            // as many instances left or more, then of closer sizes: the sizes that are running
            // out are kept for the nodes that need them
            if (b >= 0 && (sizes[a] + sizes[b] > best + Filters.EPSILON
                    || (best >= room - tolerance && sizes[a] + sizes[b] >= best - Filters.EPSILON
                        && (pairB < 0 || Math.min(counts[a], counts[b]) >= Math.min(counts[pairA], counts[pairB]))))) {
                best = sizes[a] + sizes[b];
                pairA = a;
                pairB = b;
            }
            a = below(a - 1, reserved);
        }
        return best;
    }

    private long available(int c, int reserved) {
        return c == reserved ? counts[c] - 1 : counts[c];
    }

    /** The largest class at or below {@code c} with an instance available besides {@code reserved}'s one. */
    private int below(int c, int reserved) {
        int j = top(c);
        if (j >= 0 && available(j, reserved) <= 0) {
            j = top(j - 1);
        }
        return j;
    }

    private void take(int c, int node, Fill fill) {
        fill.place(c, node);
        remaining--;
        if (--counts[c] == 0) {
            link[c] = c - 1;
        }
    }

    /** The largest class with instances left whose amount is at most {@code room}; -1 when none. */
    private int upTo(double room) {
        int lo = 0;
        int hi = sizes.length - 1;
        int at = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (sizes[mid] - room <= Filters.EPSILON) {
                at = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return top(at);
    }

    /** The largest class at or below {@code c} with instances left; -1 when none. */
    private int top(int c) {
        int j = c;
        while (j >= 0 && link[j] != j) {
            j = link[j];
        }
        while (c >= 0 && link[c] != c) {
            int next = link[c];
            link[c] = j;
            c = next;
        }
        return j;
    }
}
