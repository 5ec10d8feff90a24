// Owns the undo log of one call's placements on the kept NodeTable and how they are reverted.
package dev.berth.core.internal.scheduler;

import java.util.Arrays;
import java.util.List;

/**
 * The undo log of one call's placements on a kept {@link NodeTable}: before a node first takes an
 * instance, its allocation row and instance count are saved; each placement notes its (node, app).
 * {@link #revert} puts the saved rows back (bit for bit, which subtracting the demands again would
 * not be, floating point being what it is), takes back the per-app counts, re-ranks the touched
 * nodes and returns them to the indexes as they were. An undo log rather than a copy-on-write
 * table: a call touches a handful of rows, so the log costs what the call placed, while
 * copy-on-write would put an indirection on every read of the hot arrays. Not thread-safe.
 */
final class UndoLog {
    private final NodeTable table;
    private final boolean[] touched;
    private int[] nodes = new int[16];
    private int[] savedInstances = new int[16];
    private double[] rows;
    private int count;
    private int[] placedNode = new int[16];
    private int[] placedApp = new int[16];
    private int placed;

    UndoLog(NodeTable table) {
        this.table = table;
        this.touched = new boolean[table.size()];
        this.rows = new double[16 * Math.max(1, table.dimensions())];
    }

    /** {@link NodeTable#add}, logged. */
    void add(int n, int app, double[] demand) {
        if (!touched[n]) {
            touched[n] = true;
            if (count == nodes.length) {
                nodes = Arrays.copyOf(nodes, count * 2);
                savedInstances = Arrays.copyOf(savedInstances, count * 2);
                rows = Arrays.copyOf(rows, rows.length * 2);
            }
            nodes[count] = n;
            savedInstances[count] = table.save(n, rows, count * table.dimensions());
            count++;
        }
        if (placed == placedNode.length) {
            placedNode = Arrays.copyOf(placedNode, placed * 2);
            placedApp = Arrays.copyOf(placedApp, placed * 2);
        }
        placedNode[placed] = n;
        placedApp[placed] = app;
        placed++;
        table.add(n, app, demand);
    }

    /**
     * Undoes every placement since the last revert; {@code indexes} are all those that hold the
     * table's nodes at their current ranks.
     */
    void revert(List<NodeIndex> indexes) {
        for (int i = 0; i < count; i++) {
            for (NodeIndex index : indexes) {
                index.detach(nodes[i]);
            }
        }
        for (int i = 0; i < placed; i++) {
            table.uncount(placedApp[i], placedNode[i]);
        }
        int dims = table.dimensions();
        for (int i = 0; i < count; i++) {
            int n = nodes[i];
            table.restore(n, rows, i * dims, savedInstances[i]);
            table.rerank(n);
            touched[n] = false;
            for (NodeIndex index : indexes) {
                index.restore(n);
            }
        }
        count = 0;
        placed = 0;
    }
}
