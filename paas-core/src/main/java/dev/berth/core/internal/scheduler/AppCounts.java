// Owns the scheduler's count of instances per (app, node): an open-addressing map from long keys.
package dev.berth.core.internal.scheduler;

/**
 * Instances per (app, node), by the small ids {@link NodeTable} gives apps and nodes: an
 * open-addressing map from {@code long} keys to counts. A count that falls back to 0 keeps its
 * slot (reads as 0) until the next rehash drops it, so the map follows the live counts, not every
 * (app, node) pair ever seen. Not thread-safe.
 */
final class AppCounts {
    private long[] keys = new long[64];
    private int[] values = new int[64];
    private int size;

    private static long key(int app, int node) {
        return ((long) (app + 1) << 32) | (node & 0xffffffffL);
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    /** How many instances of {@code app} node {@code node} holds. */
    int get(int app, int node) {
        long key = key(app, node);
        int mask = keys.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            if (keys[i] == key) {
                return values[i];
            }
            if (keys[i] == 0) {
                return 0;
            }
        }
    }

    /** One more instance of {@code app} on {@code node}. */
    void increment(int app, int node) {
        long key = key(app, node);
        int mask = keys.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            if (keys[i] == key) {
                values[i]++;
                return;
            }
            if (keys[i] == 0) {
                keys[i] = key;
                values[i] = 1;
                if (++size * 2 > keys.length) {
                    grow();
                }
                return;
            }
        }
    }

    /**
     * One instance of {@code app} fewer on {@code node}.
     *
     * @throws IllegalStateException if the node holds none
     */
    void decrement(int app, int node) {
        long key = key(app, node);
        int mask = keys.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            if (keys[i] == key && values[i] > 0) {
                values[i]--;
                return;
            }
            if (keys[i] == 0 || keys[i] == key) {
                throw new IllegalStateException("no instance of app #" + app + " on node #" + node + " to remove");
            }
        }
    }

    /** How many slots the map has: about four times the live counts at most, after a rehash. */
    int slots() {
        return keys.length;
    }

    /** Rehashes into a map at most a quarter full of the counts above 0; the zeros are dropped. */
    private void grow() {
        int live = 0;
        for (int v : values) {
            if (v > 0) {
                live++;
            }
        }
        int length = 64;
        while (live * 4 > length) {
            length *= 2;
        }
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[length];
        values = new int[length];
        size = live;
        int mask = length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldValues[j] > 0) {
                int i = slot(oldKeys[j], mask);
                while (keys[i] != 0) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                values[i] = oldValues[j];
            }
        }
    }
}
