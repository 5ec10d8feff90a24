// One pass over the apps touched since the last: what to stop, what to place and start, what to respawn or restart.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import dev.berth.spi.ClusterSnapshot;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.NodeSpec;
import dev.berth.spi.Placement;
import dev.berth.spi.PlacementRequest;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.core.internal.reconcile.Tracked.AfterStop;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pass's decisions per app: instances of removed or stopped apps leave; each touched app is
 * converged (surplus scaled down, the old release retired step by step as {@link RollingPlan}
 * allows, instances whose back-off has passed respawned, missing instances asked of the scheduler
 * in one placement for all apps); app-wide restarts go one instance at a time.
 */
final class Convergence extends Room {
    private static final Logger log = LoggerFactory.getLogger(Convergence.class);

    private final Actuator actuator;

    Convergence(LoopState state, LoopControl loop, Actuator actuator) {
        super(state, loop);
        this.actuator = actuator;
    }

    /** The instances of an app that is gone ({@code app} null) or stopped are stopped and forgotten. */
    void retire(String name, AppRecord app) {
        for (Tracked t : instances.ofApp(name)) {
            if (!t.retiring()) {
                actuator.stop(t, AfterStop.REMOVE, app == null ? "app removed" : "app stopped");
            }
        }
    }

    /**
     * One app: its {@link ConvergeStep} decision at {@code now}, applied: stops and respawns now,
     * placement requests for the pass's one placement.
     */
    void converge(AppRecord app, Instant now, List<PlacementRequest> requests, List<AppRecord> requesters) {
        List<ConvergeStep.Seen> seen = new ArrayList<>();
        for (Tracked t : instances.ofApp(app.name())) {
            InstanceRecord r = t.record();
            seen.add(new ConvergeStep.Seen(r.id(), r.release(), r.node(), r.state(), t.retiring(), t.busy, t.respawnAt));
        }
        ConvergeStep.Decision d = ConvergeStep.decide(app, seen, w.nodes(), state.downNodes, now);
        for (ConvergeStep.Stop stop : d.stops()) {
            actuator.stop(instances.get(stop.id()), AfterStop.REMOVE, stop.reason());
        }
        for (String id : d.respawns()) {
            Tracked t = instances.get(id);
            t.respawnAt = null;
            t.update(t.record().respawned());
            actuator.launch(t);
        }
        if (d.request() != null) {
            requests.add(d.request());
            requesters.add(app);
        }
    }

    void placeAndStart(List<PlacementRequest> requests, List<AppRecord> requesters) {
        long start = System.nanoTime();
        Placement placement = w.scheduler().place(snapshot(), requests);
        state.placements.since(start);
        for (Placement.Assignment a : placement.assignments()) {
            AppRecord app = requesters.get(a.request());
            String id = state.nextId(app.name());
            Tracked t = new Tracked(new InstanceRecord(id, app.name(), app.release(), a.node(), InstanceState.PENDING,
                    null, null, 0, null, null));
            instances.put(t);
            actuator.launch(t);
        }
        Map<String, String> reasons = new HashMap<>();
        for (Placement.Unplaced u : placement.unplaced()) {
            AppRecord app = requesters.get(u.request());
            reasons.put(app.name(), u.reason());
            String key = u.count() + ":" + u.reason();
            if (!key.equals(state.lastUnplaced.get(app.name()))) {
                state.lastUnplaced.put(app.name(), key);
                log.warn("app {}: {} instance(s) cannot be placed: {}", app.name(), u.count(), u.reason());
                state.emit(new PlatformEvent.InstancesUnplaced(w.clock().instant(), app.name(), u.count(), u.reason()));
            }
        }
        for (AppRecord app : requesters) {
            if (!reasons.containsKey(app.name())) {
                state.lastUnplaced.remove(app.name());
            }
        }
    }

    /** The cluster as the scheduler sees it: every instance that holds resources counts. */
    ClusterSnapshot snapshot() {
        return state.nodeStates.snapshot(w.nodes(), instances.changes.takeNodesToPlace(), this::nodeState);
    }

    private ClusterSnapshot.NodeState nodeState(NodeSpec n) {
        List<ClusterSnapshot.Allocation> there = new ArrayList<>();
        for (Tracked t : instances.onNode(n.id())) {
            AppRecord app = apps.get(t.record().app());
            // A stopped-on-request instance keeps its place (it counts for ALL and per-node
            // limits) but takes no resources.
            boolean held = t.state() == InstanceState.STOPPED && !t.busy;
            Resources r = app == null || held ? Resources.none() : app.spec().resources();
            // An instance of an older release takes resources but does not count as the app on
            // its node, so that the new release can be placed beside it (ALL, uniqueHost).
            String owner = app != null && !t.record().release().equals(app.release())
                    ? t.record().app() + "@" + t.record().release() : t.record().app();
            there.add(new ClusterSnapshot.Allocation(owner, t.id(), r));
        }
        return new ClusterSnapshot.NodeState(n, !state.downNodes.contains(n.id()), there);
    }

    /**
     * Marks the apps with an instance whose back-off has passed: their convergence step respawns
     * it. Due ones that are busy or leaving stay queued. The step declines only an instance that
     * is being stopped for good (an old release's, an app waiting for its first push) or one on a
     * down node (which node loss forgets): none of them is left waiting for a respawn.
     */
    void markDueRespawns(Instant now) {
        for (Tracked t : state.due.dueRespawns(now, instances::holds, t -> !t.busy && !t.retiring())) {
            touched.mark(t.record().app());
        }
    }

    /**
     * App-wide restarts go one instance at a time: the next one is stopped only when the one
     * before it is healthy again (or has crashed and is in the respawn back-off).
     */
    void rollRestarts(String app) {
        List<Tracked> list = new ArrayList<>();
        for (Tracked t : instances.ofApp(app)) {
            if (t.restarting || t.rolling) {
                list.add(t);
            }
        }
        if (list.stream().anyMatch(t -> t.rolling)) {
            return;
        }
        for (Tracked next : list) {
            next.restarting = false;
            if (next.live() && next.afterStop == null) { // one not running has nothing to restart
                next.rolling = true;
                actuator.stop(next, AfterStop.RESTART, "rolling restart");
                return;
            }
        }
    }
}
