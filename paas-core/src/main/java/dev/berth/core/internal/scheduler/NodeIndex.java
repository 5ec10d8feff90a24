package dev.berth.core.internal.scheduler;

import java.util.Arrays;

/**
 * The nodes eligible for one set of label constraints (up, with the labels), kept in the
 * pipeline's order (best rank first, see {@link NodeTable#compare(int, int)}) in a treap, a
 * balanced search tree, whose every subtree also knows the largest free amount in each dimension
 * of its nodes. Finding the first node in order that fits a demand skips every subtree whose
 * largest free amount in some dimension is too small, so that a placement does not scan the
 * nodes that are full: O(log M) for one dimension, and in practice for several. Inserting or
 * removing a node (to move it when its rank changes) is O(log M); building it, O(M log M).
 *
 * <p>Priorities come from a fixed hash of the node's position, so the tree's shape, like
 * everything else, is deterministic (a treap's shape follows from its keys and priorities, so an
 * index kept up to date node by node is the one a fresh build would make). Kept between calls
 * with its table by {@link KeptNodes}; confined to one call at a time; not thread-safe.
 */
final class NodeIndex {
    private final NodeTable table;
    private final int dims;
    private final int[] left;
    private final int[] right;
    private final double[] maxFree;
    private final boolean[] member;
    /** The members at build time, which {@link #restore} returns a node to. */
    private final boolean[] base;
    private int root = -1;

    // the current query, set by first(...): fields rather than arguments keep the recursion lean
    private double[] demand;
    private int app;
    private int limit;
    private long[] bound;
    private int boundNode;
    private boolean strict;
    private int budget;

    /** What {@link #first} returns when it gave up after passing over too many nodes at the limit. */
    static final int GAVE_UP = -2;

    /** An index of the nodes {@code member} admits, in the table's current order. */
    NodeIndex(NodeTable table, boolean[] member) {
        this.table = table;
        this.dims = table.dimensions();
        int size = table.size();
        this.left = new int[size];
        this.right = new int[size];
        this.maxFree = new double[size * dims];
        this.member = member;
        this.base = member.clone();
        build();
    }

    /** Builds the tree in O(M log M): sorts the members, then links them as a treap in one pass. */
    private void build() {
        int count = 0;
        int[] nodes = new int[member.length];
        for (int n = 0; n < member.length; n++) {
            if (member[n]) {
                nodes[count++] = n;
            }
        }
        sort(nodes, new int[count], 0, count);
        // the right spine of the tree built so far, root first
        int[] spine = new int[count];
        int depth = 0;
        for (int i = 0; i < count; i++) {
            int n = nodes[i];
            left[n] = -1;
            right[n] = -1;
            int last = -1;
            while (depth > 0 && priority(spine[depth - 1]) <= priority(n)) {
                last = spine[--depth];
            }
            left[n] = last;
            if (depth > 0) {
                right[spine[depth - 1]] = n;
            }
            spine[depth++] = n;
        }
        root = count == 0 ? -1 : spine[0];
        if (root >= 0) {
            pullAll(root);
        }
    }

    private void pullAll(int t) {
        if (left[t] >= 0) {
            pullAll(left[t]);
        }
        if (right[t] >= 0) {
            pullAll(right[t]);
        }
        pull(t);
    }

    /** Merge sort of {@code a[from, to)} by the table's order. */
    private void sort(int[] a, int[] tmp, int from, int to) {
        if (to - from < 2) {
            return;
        }
        int mid = (from + to) >>> 1;
        sort(a, tmp, from, mid);
        sort(a, tmp, mid, to);
        if (table.compare(a[mid - 1], a[mid]) <= 0) {
            return;
        }
        System.arraycopy(a, from, tmp, from, to - from);
        int i = from;
        int j = mid;
        for (int k = from; k < to; k++) {
            if (j >= to || (i < mid && table.compare(tmp[i], tmp[j]) <= 0)) {
                a[k] = tmp[i++];
            } else {
                a[k] = tmp[j++];
            }
        }
    }

    /** The nodes in the tree, in order (best first); O(M). */
    int[] inOrder() {
        int[] out = new int[member.length];
        int[] stack = new int[member.length];
        int count = 0;
        int depth = 0;
        int t = root;
        while (t >= 0 || depth > 0) {
            while (t >= 0) {
                stack[depth++] = t;
                t = left[t];
            }
            t = stack[--depth];
            out[count++] = t;
            t = right[t];
        }
        return Arrays.copyOf(out, count);
    }

    /** Whether node {@code n} is in this index. */
    boolean contains(int n) {
        return member[n];
    }

    /** Adds node {@code n} at the place its current rank gives it. */
    void insert(int n) {
        left[n] = -1;
        right[n] = -1;
        pull(n);
        int l = splitBefore(root, n);
        int r = splitRight;
        root = merge(merge(l, n), r);
    }

    /** Removes node {@code n} for good: it will take nothing more. */
    void drop(int n) {
        remove(n);
        member[n] = false;
    }

    /** Takes node {@code n} out of the tree, if it is there, before its rank changes; see {@link #restore}. */
    void detach(int n) {
        if (member[n]) {
            remove(n);
        }
    }

    /**
     * Puts node {@code n}, {@link #detach}ed or {@link #drop}ped, back as it was at build time
     * (a member or not), at the place its current rank gives it.
     */
    void restore(int n) {
        member[n] = base[n];
        if (base[n]) {
            insert(n);
        }
    }

    /** Removes node {@code n}; its rank must be the one it was inserted with. */
    void remove(int n) {
        int l = splitBefore(root, n);
        int rest = splitRight;
        splitAfter(rest, n);
        root = merge(l, splitRight);
    }

    /**
     * The first node in order, at or after the bound, that fits {@code demand} in every
     * dimension and holds fewer than {@code limit} instances of {@code app}; -1 when there is
     * none.
     *
     * @param bound     a rank copied by {@link NodeTable#copyRank}, or null to search from the start
     * @param boundNode the node that had that rank
     * @param strict    whether the node at the bound itself is excluded
     * @param budget    how many nodes with room but at the limit to pass over before giving up
     *                  with {@link #GAVE_UP}
     */
    int first(double[] demand, int app, int limit, long[] bound, int boundNode, boolean strict, int budget) {
        this.demand = demand;
        this.app = app;
        this.limit = limit;
        this.bound = bound;
        this.boundNode = boundNode;
        this.strict = strict;
        this.budget = budget;
        return find(root);
    }

    private int find(int t) {
        while (t >= 0) {
            if (!roomFor(t)) {
                return -1;
            }
            if (bound != null) {
                int c = table.compare(t, bound, boundNode);
                if (c < 0 || (c == 0 && strict)) {
                    t = right[t];
                    continue;
                }
            }
            int found = find(left[t]);
            if (found != -1) {
                return found;
            }
            if (table.fits(t, demand)) {
                if (limit == Integer.MAX_VALUE || table.count(app, t) < limit) {
                    return t;
                }
                if (--budget < 0) {
                    return GAVE_UP;
                }
            }
            t = right[t];
        }
        return -1;
    }

    /** Whether some node of subtree {@code t} might fit the demand: its largest free amounts suffice. */
    private boolean roomFor(int t) {
        int base = t * dims;
        for (int d = 0; d < dims; d++) {
            if (maxFree[base + d] - demand[d] < -Filters.EPSILON) {
                return false;
            }
        }
        return true;
    }

    private void pull(int t) {
        int base = t * dims;
        int l = left[t];
        int r = right[t];
        for (int d = 0; d < dims; d++) {
            double m = table.free(t, d);
            if (l >= 0 && maxFree[l * dims + d] > m) {
                m = maxFree[l * dims + d];
            }
            if (r >= 0 && maxFree[r * dims + d] > m) {
                m = maxFree[r * dims + d];
            }
            maxFree[base + d] = m;
        }
    }

    /** The right part of the last split. */
    private int splitRight;

    /** Splits {@code t} into the nodes before {@code n} (returned) and the rest ({@link #splitRight}). */
    private int splitBefore(int t, int n) {
        if (t < 0) {
            splitRight = -1;
            return -1;
        }
        if (table.compare(t, n) < 0) {
            int l = splitBefore(right[t], n);
            right[t] = l;
            pull(t);
            return t;
        }
        int l = splitBefore(left[t], n);
        left[t] = splitRight;
        pull(t);
        splitRight = t;
        return l;
    }

    /** Splits {@code t} into the nodes up to {@code n} (returned) and those after ({@link #splitRight}). */
    private int splitAfter(int t, int n) {
        if (t < 0) {
            splitRight = -1;
            return -1;
        }
        if (table.compare(t, n) <= 0) {
            int l = splitAfter(right[t], n);
            right[t] = l;
            pull(t);
            return t;
        }
        int l = splitAfter(left[t], n);
        left[t] = splitRight;
        pull(t);
        splitRight = t;
        return l;
    }

    private int merge(int a, int b) {
        if (a < 0) {
            return b;
        }
        if (b < 0) {
            return a;
        }
        if (priority(a) > priority(b)) {
            right[a] = merge(right[a], b);
            pull(a);
            return a;
        }
        left[b] = merge(a, left[b]);
        pull(b);
        return b;
    }

    /** A fixed pseudo-random priority per node (a 32-bit mix of its position). */
    private static int priority(int n) {
        int h = n * 0x9E3779B9;
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        return h;
    }
}
