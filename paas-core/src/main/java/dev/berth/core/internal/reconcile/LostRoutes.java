package dev.berth.core.internal.reconcile;

import dev.berth.api.Endpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The endpoints of instances lost with a node that went down, which stay routed until their
 * replacements are ready: a node the platform cannot reach may well still serve (a control plane
 * cut off from it costs no request), and one that really died is skipped by the router's own
 * passive checks. When the node answers again, its lost instances leave the router before they
 * are stopped as stale ({@link #holds}). Touched only by the loop thread.
 */
final class LostRoutes {
    /** One lost instance's endpoint; {@code drainAfter} as in {@link Tracked#drainAfter}, 0 while routed. */
    private static final class Lost {
        final String id;
        final String node;
        final Endpoint endpoint;
        long drainAfter;

        Lost(String id, String node, Endpoint endpoint) {
            this.id = id;
            this.node = node;
            this.endpoint = endpoint;
        }
    }

    private final Map<String, List<Lost>> byApp = new HashMap<>();

    /** Keeps a lost instance's endpoint routed for now. */
    void add(String app, String id, String node, Endpoint endpoint) {
        byApp.computeIfAbsent(app, k -> new ArrayList<>()).add(new Lost(id, node, endpoint));
    }

    /**
     * The lost endpoints of {@code app} still routed when it has {@code ready} of the
     * {@code wanted} instances ready: one per missing replacement; the others leave for good.
     */
    List<Endpoint> routed(String app, int ready, int wanted) {
        List<Lost> list = byApp.get(app);
        if (list == null) {
            return List.of();
        }
        int keep = Math.max(0, wanted - ready);
        List<Endpoint> out = new ArrayList<>();
        for (Iterator<Lost> it = list.iterator(); it.hasNext(); ) {
            Lost l = it.next();
            if (l.drainAfter != 0) {
                continue;
            }
            if (out.size() < keep) {
                out.add(l.endpoint);
            } else {
                it.remove(); // replaced: gone from the router with this table
            }
        }
        if (list.isEmpty()) {
            byApp.remove(app);
        }
        return out;
    }

    /** Forgets the lost endpoints of an app that is gone, stopped or no longer routed. */
    void forget(String app) {
        byApp.remove(app);
    }

    /** {@code node} answers again: its lost instances leave the router (and are stopped as stale once it has). */
    void nodeBack(String node) {
        for (List<Lost> list : byApp.values()) {
            for (Lost l : list) {
                if (l.node.equals(node) && l.drainAfter == 0) {
                    l.drainAfter = Tracked.DRAIN_PENDING;
                }
            }
        }
    }

    /** The table {@code seq} just handed to the router leaves out every endpoint pending a drain. */
    void submitted(long seq) {
        byApp.values().forEach(list -> list.forEach(l -> {
            if (l.drainAfter == Tracked.DRAIN_PENDING) {
                l.drainAfter = seq;
            }
        }));
    }

    /** The router has applied table {@code seq}: drained endpoints are forgotten. */
    void applied(long seq) {
        byApp.values().forEach(list -> list.removeIf(l -> l.drainAfter > 0 && l.drainAfter <= seq));
        byApp.values().removeIf(List::isEmpty);
    }

    /** Whether instance {@code id} may still get requests from the router: it must not be stopped yet. */
    boolean holds(String id) {
        return byApp.values().stream().anyMatch(list -> list.stream().anyMatch(l -> l.id.equals(id)));
    }
}
