// Keeps the router in step: one table of ready endpoints per change, and stops what was drained once it is applied.
package dev.berth.core.internal.reconcile;

import dev.berth.api.AppRecord;
import dev.berth.api.Endpoint;
import dev.berth.api.InstanceState;
import dev.berth.api.RoutingTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the routing table from the healthy instances of every app with domains (plus endpoints of
 * instances lost with a down node, until their replacements are ready) and hands each new table to
 * the router on its own thread; instances being stopped leave the table first, and their backend
 * stop waits until the router has applied a table without them.
 */
final class RoutingSync extends Room {
    private static final Logger log = LoggerFactory.getLogger(RoutingSync.class);

    private final ExecutorService routerThread;
    private final LostRoutes lost;
    private final java.util.function.Consumer<Tracked> stopInBackend;
    private final java.util.function.BooleanSupplier rolloutsToRecheck;
    /** The last table handed to the router, its sequence number, and the last one it finished applying. */
    private RoutingTable lastTable;
    private long tableSeq;
    private long appliedSeq;
    /** The table the router applied last: a rollout succeeds once it routes the release. */
    private RoutingTable appliedTable;
    /** The endpoints {@link #lastTable} routes, by app. */
    private Map<String, Set<Endpoint>> routedByApp = Map.of();
    /** Instances taken out of the table before their stop, until the router has applied a table without them. */
    private final Set<Tracked> draining = new java.util.LinkedHashSet<>();

    RoutingSync(LoopState state, LoopControl loop, ExecutorService routerThread, LostRoutes lost, java.util.function.Consumer<Tracked> stopInBackend, java.util.function.BooleanSupplier rolloutsToRecheck) {
        super(state, loop);
        this.routerThread = routerThread;
        this.lost = lost;
        this.stopInBackend = stopInBackend;
        this.rolloutsToRecheck = rolloutsToRecheck;
    }

    void route() {
        if (w.router() == null) {
            return;
        }
        Map<String, RoutingTable.Route> routes = new TreeMap<>();
        Set<String> routedApps = new HashSet<>();
        for (AppRecord app : apps.values()) {
            if (app.spec().routing().domains().isEmpty()) {
                continue;
            }
            List<ConvergeStep.Routable> mine = new ArrayList<>();
            int ready = 0;
            for (Tracked t : instances.ofApp(app.name())) {
                boolean healthy = t.state() == InstanceState.HEALTHY;
                mine.add(new ConvergeStep.Routable(t.record().endpoint(), healthy, t.afterStop != null));
                ready += healthy && t.afterStop == null && t.record().endpoint() != null ? 1 : 0;
            }
            List<Endpoint> stillServing = List.of();
            if (!app.stopped()) {
                routedApps.add(app.name());
                int wanted = app.spec().instances().all() ? state.eligibleNodes(app.spec()) : app.spec().instances().count();
                stillServing = lost.routed(app.name(), ready, wanted);
            }
            RoutingTable.Route route = ConvergeStep.route(app, mine, stillServing);
            for (String d : app.spec().routing().domains()) {
                routes.put(d, route);
            }
        }
        lost.retain(routedApps);
        RoutingTable table = new RoutingTable(routes);
        if (!table.equals(lastTable)) {
            lastTable = table;
            routedByApp = byApp(table);
            long seq = ++tableSeq;
            routerThread.execute(() -> {
                try {
                    w.router().apply(table);
                    loop.post(() -> {
                        if (seq > appliedSeq) {
                            appliedTable = table;
                        }
                        applied(seq);
                        if (rolloutsToRecheck.getAsBoolean()) {
                            loop.passSoon(); // a rollout waiting for its endpoints to be routed ends now
                        }
                    });
                } catch (RuntimeException e) {
                    log.error("router rejected the new table; the last good one keeps serving: {}", e.getMessage(), e);
                    loop.post(() -> {
                        if (table.equals(lastTable)) {
                            lastTable = null; // the next pass tries again
                        }
                        applied(seq); // draining instances are stopped anyway: they cannot wait forever
                    });
                }
            });
        }
        for (Tracked t : draining) {
            if (t.drainAfter == Tracked.DRAIN_PENDING) {
                t.drainAfter = tableSeq; // the table just submitted (or the last one) leaves it out
            }
        }
        lost.submitted(tableSeq);
        stopDrained();
    }

    void applied(long seq) {
        appliedSeq = Math.max(appliedSeq, seq);
        lost.applied(appliedSeq);
        stopDrained();
    }

    /** Whether the router may still send requests to {@code t}. */
    boolean routed(Tracked t) {
        if (w.router() == null || t.record().endpoint() == null) {
            return false;
        }
        if (appliedSeq < tableSeq || lastTable == null) {
            return true; // a table in flight, or the one an adopted proxy still serves, may hold it
        }
        return routedByApp.getOrDefault(t.record().app(), Set.of()).contains(t.record().endpoint());
    }

    private static Map<String, Set<Endpoint>> byApp(RoutingTable table) {
        Map<String, Set<Endpoint>> out = new HashMap<>();
        for (RoutingTable.Route r : table.routes().values()) {
            out.computeIfAbsent(r.app(), k -> new HashSet<>()).addAll(r.endpoints());
        }
        return out;
    }

    /** Takes {@code t} out of the next table; its backend stop follows once the router has applied it. */
    void drain(Tracked t) {
        t.drainAfter = Tracked.DRAIN_PENDING;
        draining.add(t);
    }

    /** Stops the drained instances whose removal the router has applied. */
    void stopDrained() {
        for (Tracked t : List.copyOf(draining)) {
            if (!instances.holds(t)) {
                draining.remove(t); // lost with its node meanwhile: nothing to stop here
            } else if (t.drainAfter > 0 && appliedSeq >= t.drainAfter) {
                t.drainAfter = 0;
                draining.remove(t);
                stopInBackend.accept(t);
            }
        }
    }

    /** The table the router applied last, or null before the first. */
    RoutingTable appliedTable() {
        return appliedTable;
    }
}
