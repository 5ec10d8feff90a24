// Owns one shape of a placement batch: identical asks, and where their placement stands.
package dev.berth.core.internal.scheduler;

import dev.berth.api.Constraints;
import dev.berth.api.Resources;
import java.util.Arrays;

/**
 * One shape: the requests (by index, in input order) that ask for it, its size, and where its
 * placement stands: the next request and how many of its instances are still to place, and
 * the point of the index where its next search starts. Confined to one call; not thread-safe.
 */
final class Shape {
    /** Identical asks, placed together. */
    record Key(String app, Resources demand, Constraints constraints, boolean all) {
    }

    final int first;
    int[] members = new int[1];
    int size;
    /** The size for the order of work: the demand over the dimensions, relative to capacity. */
    double weight;
    /** The size class: shapes of one class take turns (one class when the batch asks for several dimensions). */
    double primary;
    Ask ask;
    int app;
    double[] demand;
    int limit;
    NodeIndex index;
    int member;
    int need;
    long[] bound;
    int boundNode;
    boolean strict;
    boolean bounded;

    /** How many instances the shape asks for, and how many have had their turn. */
    long instances;
    long done;

    Shape(int first) {
        this.first = first;
        members[size++] = first;
    }

    /** When, in [0, 1] over its size class, the shape's next instance is due. */
    double turn() {
        return (double) done / instances;
    }

    void add(int request) {
        if (size == members.length) {
            members = Arrays.copyOf(members, size * 2);
        }
        members[size++] = request;
    }
}
