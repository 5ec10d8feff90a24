// Keeps the router in step: one table of ready endpoints per change, and stops what was drained once it is applied.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import dev.berth.api.Endpoint;
import dev.berth.api.InstanceState;
import dev.berth.api.RoutingTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the router in step. Each app's route ({@link ConvergeStep#route}: its ready instances,
 * plus endpoints of instances lost with a down node until their replacements are ready) is kept
 * between passes and recomputed only for the apps whose instances or record changed since
 * ({@link Changes}), or for all after a resync or a node change; a new table goes to the router,
 * on its own thread, when a route changed. Instances being stopped leave the table first, and
 * their backend stop waits until the router has applied a table without them.
 *
 * <p>Building a table copies every route (a router rewrites its whole configuration anyway): once
 * that costs more than {@link #THROTTLE_FROM_NANOS}, tables are built at most every
 * {@link #SPACING} times that cost, so that thousands of routed apps cost the loop a bounded share
 * of its time however fast their instances change; a drain waits for the next table, never for
 * less.
 */
final class RoutingSync extends Room {
    private static final Logger log = LoggerFactory.getLogger(RoutingSync.class);
    /** Building a table faster than this is never held back. */
    static final long THROTTLE_FROM_NANOS = TimeUnit.MICROSECONDS.toNanos(500);
    /** A costly table is built at most once per this many times its cost. */
    static final int SPACING = 10;
    /** How early a pass may come on the loop's clock and still count as due. */
    private static final Duration DUE_SLACK = Duration.ofMillis(1);

    private final ExecutorService routerThread;
    /** Measures what building a table costs. */
    private final java.util.function.LongSupplier ticker;
    private final LostRoutes lost;
    private final java.util.function.Consumer<Tracked> stopInBackend;
    private final java.util.function.BooleanSupplier rolloutsToRecheck;
    /** Each routed app's route and the domains it serves, kept between passes. */
    private final Map<String, RoutingTable.Route> routeOf = new HashMap<>();
    private final Map<String, List<String>> domainsOf = new HashMap<>();
    /** The routes by domain that the next table holds. */
    private final Map<String, RoutingTable.Route> routes = new TreeMap<>();
    /** Whether {@link #routes} differ from {@link #lastTable}'s. */
    private boolean unsubmitted;
    /**
     * When the last table was built (on the loop's clock, which its timers keep), what building it
     * cost (measured time), and when the pass asked for to build the next is due (null: none).
     */
    private java.time.Instant lastBuiltAt;
    private long buildCostNanos;
    private java.time.Instant passDue;
    /** The last table handed to the router, its sequence number, and the last one it finished applying. */
    private RoutingTable lastTable;
    private long tableSeq;
    private long appliedSeq;
    /** The table the router applied last: a rollout succeeds once it routes the release. */
    private RoutingTable appliedTable;
    /** The endpoints {@link #lastTable} routes, by app; and the apps whose routes changed since it was built. */
    private final Map<String, Set<Endpoint>> routedByApp = new HashMap<>();
    private final Set<String> unsubmittedApps = new HashSet<>();
    /** Instances taken out of the table before their stop, until the router has applied a table without them. */
    private final Set<Tracked> draining = new java.util.LinkedHashSet<>();

    RoutingSync(LoopState state, LoopControl loop, ExecutorService routerThread, java.util.function.LongSupplier ticker,
            LostRoutes lost, java.util.function.Consumer<Tracked> stopInBackend, java.util.function.BooleanSupplier rolloutsToRecheck) {
        super(state, loop);
        this.routerThread = routerThread;
        this.ticker = ticker;
        this.lost = lost;
        this.stopInBackend = stopInBackend;
        this.rolloutsToRecheck = rolloutsToRecheck;
    }

    /** Recomputes the routes that may have changed and, when one did, hands the router a new table. */
    void route() {
        Set<String> changedApps = instances.changes.takeAppsToRoute();
        boolean all = instances.changes.takeRouteAll();
        if (w.router() == null) {
            return;
        }
        Set<String> names = changedApps;
        if (all) {
            names = new HashSet<>(apps.keySet());
            names.addAll(routeOf.keySet());
        }
        for (String name : names) {
            unsubmitted |= recompute(name);
        }
        if ((unsubmitted || lastTable == null) && !holdBack()) {
            submit();
        }
        if (!unsubmitted && lastTable != null) {
            // the last table handed over holds every route as it is now: it leaves out whatever is draining
            for (Tracked t : draining) {
                if (t.drainAfter == Tracked.DRAIN_PENDING) {
                    t.drainAfter = tableSeq;
                }
            }
            lost.submitted(tableSeq);
        }
        stopDrained();
    }

    /** Recomputes one app's route; returns whether the routes changed. */
    private boolean recompute(String name) {
        AppRecord app = apps.get(name);
        List<String> domains = app == null ? List.of() : app.spec().routing().domains();
        RoutingTable.Route route = null;
        if (!domains.isEmpty()) {
            List<ConvergeStep.Routable> mine = new ArrayList<>();
            int ready = 0;
            for (Tracked t : instances.ofApp(name)) {
                boolean healthy = t.state() == InstanceState.HEALTHY;
                mine.add(new ConvergeStep.Routable(t.record().endpoint(), healthy, t.afterStop != null));
                ready += healthy && t.afterStop == null && t.record().endpoint() != null ? 1 : 0;
            }
            List<Endpoint> stillServing = List.of();
            if (!app.stopped()) {
                int wanted = app.spec().instances().all() ? state.eligibleNodes(app.spec()) : app.spec().instances().count();
                stillServing = lost.routed(name, ready, wanted);
            }
            route = ConvergeStep.route(app, mine, stillServing);
        }
        if (route == null || app.stopped()) {
            lost.forget(name);
        }
        List<String> before = domainsOf.getOrDefault(name, List.of());
        if (java.util.Objects.equals(route, routeOf.get(name)) && before.equals(domains)) {
            return false;
        }
        unsubmittedApps.add(name);
        before.forEach(routes::remove);
        if (route == null) {
            routeOf.remove(name);
            domainsOf.remove(name);
        } else {
            routeOf.put(name, route);
            domainsOf.put(name, List.copyOf(domains));
            for (String d : domains) {
                routes.put(d, route);
            }
        }
        return true;
    }

    /**
     * Whether to wait before building the next table: the last one was costly and built less than
     * {@link #SPACING} times its cost ago. A pass is then asked for when that time is up, once for
     * each due time; that pass builds the table even if the clock, slewed against the timer's,
     * reads up to {@link #DUE_SLACK} early.
     */
    private boolean holdBack() {
        if (buildCostNanos < THROTTLE_FROM_NANOS || lastTable == null) {
            return false;
        }
        java.time.Instant now = w.clock().instant();
        java.time.Instant due = lastBuiltAt.plusNanos(SPACING * buildCostNanos);
        if (!now.plus(DUE_SLACK).isBefore(due)) {
            return false;
        }
        if (!due.equals(passDue)) {
            passDue = due;
            loop.passAfter(Duration.between(now, due));
        }
        return true;
    }

    /** Builds the table from the kept routes and hands it to the router's thread. */
    private void submit() {
        long start = ticker.getAsLong();
        passDue = null;
        unsubmitted = false;
        RoutingTable table = new RoutingTable(routes);
        lastTable = table;
        for (String app : unsubmittedApps) {
            RoutingTable.Route r = routeOf.get(app);
            if (r == null) {
                routedByApp.remove(app);
            } else {
                routedByApp.put(app, Set.copyOf(r.endpoints()));
            }
        }
        unsubmittedApps.clear();
        long seq = ++tableSeq;
        buildCostNanos = ticker.getAsLong() - start;
        lastBuiltAt = w.clock().instant();
        routerThread.execute(() -> {
            long applyStart = System.nanoTime();
            try {
                w.router().apply(table);
                state.routerApplies.since(applyStart);
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
                state.routerApplies.since(applyStart);
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
