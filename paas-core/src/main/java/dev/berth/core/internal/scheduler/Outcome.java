// Owns what one placement call has placed and left unplaced, and the Placement built from them.
package dev.berth.core.internal.scheduler;

import dev.berth.spi.Placement;
import dev.berth.spi.PlacementRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The record of one call's work: each instance placed (request index, node), in placement order,
 * and per request what could not be placed and why. {@link #placement} lists the assignments by
 * request index, whatever the order of work. Confined to one call; not thread-safe.
 */
final class Outcome {
    private final NodeTable table;
    private final List<PlacementRequest> requests;
    private final Placement.Unplaced[] unplaced;
    private int[] placedRequest = new int[16];
    private int[] placedNode = new int[16];
    private int placed;

    Outcome(NodeTable table, List<PlacementRequest> requests) {
        this.table = table;
        this.requests = requests;
        this.unplaced = new Placement.Unplaced[requests.size()];
    }

    /** Notes one instance of request {@code request} placed on node {@code node}. */
    void placed(int request, int node) {
        if (placed == placedRequest.length) {
            placedRequest = Arrays.copyOf(placedRequest, placed * 2);
            placedNode = Arrays.copyOf(placedNode, placed * 2);
        }
        placedRequest[placed] = request;
        placedNode[placed] = node;
        placed++;
    }

    /** Notes that {@code count} instances of request {@code request} ({@code app}) are not placed, and why. */
    void unplaced(int request, String app, int count, String reason) {
        unplaced[request] = new Placement.Unplaced(request, app, count, reason);
    }

    /** The placement, assignments grouped by request index (in placement order within one). */
    Placement placement() {
        int[] start = new int[requests.size() + 1];
        for (int i = 0; i < placed; i++) {
            start[placedRequest[i] + 1]++;
        }
        for (int i = 0; i < requests.size(); i++) {
            start[i + 1] += start[i];
        }
        Placement.Assignment[] assignments = new Placement.Assignment[placed];
        for (int i = 0; i < placed; i++) {
            int request = placedRequest[i];
            assignments[start[request]++] = new Placement.Assignment(request, requests.get(request).app(),
                    table.id(placedNode[i]));
        }
        List<Placement.Unplaced> missing = new ArrayList<>();
        for (Placement.Unplaced u : unplaced) {
            if (u != null) {
                missing.add(u);
            }
        }
        return new Placement(Arrays.asList(assignments), missing);
    }
}
