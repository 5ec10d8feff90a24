// One pass over the apps touched since the last: what to stop, what to place and start, what to respawn or restart.
package dev.berth.core.internal.reconcile;

import dev.berth.api.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.ClusterSnapshot;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.NodeSpec;
import dev.berth.api.Placement;
import dev.berth.api.PlacementRequest;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.api.Source;
import dev.berth.core.internal.reconcile.Tracked.AfterStop;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pass's decisions per app: instances of removed or stopped apps leave; each touched app is
 * converged (surplus scaled down, the old release retired step by step as {@link RollingPlan}
 * allows, missing instances asked of the scheduler in one placement for all apps); instances whose
 * back-off has passed respawn; app-wide restarts go one instance at a time.
 */
final class Convergence {
    private static final Logger log = LoggerFactory.getLogger(Convergence.class);

    private final LoopState state;
    private final Reconciler.Wiring w;
    private final Map<String, AppRecord> apps;
    private final InstanceIndex instances;
    private final DirtyApps touched;
    private final LoopControl loop;
    private final Actuator actuator;

    Convergence(LoopState state, LoopControl loop, Actuator actuator) {
        this.state = state;
        this.w = state.w;
        this.apps = state.apps;
        this.instances = state.instances;
        this.touched = state.touched;
        this.loop = loop;
        this.actuator = actuator;
    }

    /** Instances whose app is gone or stopped are stopped and forgotten. */
    void retireUnwanted() {
        for (Tracked t : instances.copy()) {
            AppRecord app = apps.get(t.record().app());
            if ((app == null || app.stopped()) && !t.retiring()) {
                actuator.stop(t, AfterStop.REMOVE, app == null ? "app removed" : "app stopped");
            }
        }
    }

    /** One app: scale down surplus, retire the old release, ask for what is missing. */
    void converge(AppRecord app, List<PlacementRequest> requests, List<AppRecord> requesters) {
        if (awaitingPush(app.spec())) {
            // No code before the first git push: no process runs in an empty directory, none crash-loops.
            for (Tracked t : instances.ofApp(app.name())) {
                if (!t.retiring()) {
                    actuator.stop(t, AfterStop.REMOVE, "app has no code yet: it waits for its first git push");
                }
            }
            return;
        }
        List<Tracked> current = new ArrayList<>();
        List<Tracked> old = new ArrayList<>();
        for (Tracked t : instances.ofApp(app.name())) {
            if (t.retiring()) {
                continue;
            }
            (t.record().release().equals(app.release()) ? current : old).add(t);
        }
        AppSpec spec = app.spec();
        long healthyCurrent = current.stream().filter(t -> t.state() == InstanceState.HEALTHY).count();
        if (spec.instances().all()) {
            // One per node: extras on a node are surplus.
            Map<String, Integer> perNode = new HashMap<>();
            List<Tracked> mostUsefulFirst = ScaleDownOrder.sorted(current);
            Collections.reverse(mostUsefulFirst);
            for (Tracked t : mostUsefulFirst) {
                if (perNode.merge(t.record().node(), 1, Integer::sum) > 1) {
                    actuator.stop(t, AfterStop.REMOVE, "more than one instance on node " + t.record().node());
                }
            }
            // Ask the scheduler only when some eligible node lacks an instance: a placement call
            // indexes the whole cluster, and this runs on every pass.
            boolean missing = w.nodes().stream().anyMatch(n -> spec.constraints().admits(n.labels())
                    && !perNode.containsKey(n.id()) && !state.downNodes.contains(n.id()));
            if (missing) {
                requests.add(PlacementRequest.onEveryNode(app.name(), spec.resources(), spec.constraints()));
                requesters.add(app);
            }
            for (Tracked o : old) {
                boolean replaced = current.stream().anyMatch(c -> c.record().node().equals(o.record().node())
                        && c.state() == InstanceState.HEALTHY);
                if (replaced) {
                    actuator.stop(o, AfterStop.REMOVE, "replaced by release " + app.release());
                }
            }
            return;
        }
        int desired = spec.instances().count();
        if (current.size() > desired) {
            List<Tracked> order = ScaleDownOrder.sorted(current);
            for (Tracked t : order.subList(0, current.size() - desired)) {
                actuator.stop(t, AfterStop.REMOVE, "scaled down to " + desired);
            }
            return;
        }
        int missing = desired - current.size();
        if (!old.isEmpty()) {
            // A rolling update: Marathon's minimumHealthCapacity / maximumOverCapacity.
            List<RollingPlan.Old> olds = ScaleDownOrder.sorted(old).stream()
                    .map(t -> new RollingPlan.Old(t.id(), t.state() == InstanceState.HEALTHY)).toList();
            int live = (int) instances.ofApp(app.name()).stream().filter(Tracked::live).count();
            RollingPlan.Step step = RollingPlan.step(spec.update(), desired, current.size(), (int) healthyCurrent, olds, live);
            for (String id : step.toStop()) {
                actuator.stop(instances.get(id), AfterStop.REMOVE, "replaced by release " + app.release());
            }
            missing = step.toStart();
        }
        if (missing > 0) {
            requests.add(PlacementRequest.of(app.name(), spec.resources(), spec.constraints(), missing));
            requesters.add(app);
        }
    }

    /** Whether the app follows a git repository that nothing was pushed to: it has no code to run yet. */
    static boolean awaitingPush(AppSpec spec) {
        return spec.source() instanceof Source.Git g && g.awaitingPush();
    }

    void placeAndStart(List<PlacementRequest> requests, List<AppRecord> requesters) {
        Placement placement = w.scheduler().place(snapshot(), requests);
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
        List<ClusterSnapshot.NodeState> nodes = new ArrayList<>();
        for (NodeSpec n : w.nodes()) {
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
            nodes.add(new ClusterSnapshot.NodeState(n, !state.downNodes.contains(n.id()), there));
        }
        return new ClusterSnapshot(nodes);
    }

    /** Respawns the instances whose back-off has passed. */
    void respawnDue(Instant now) {
        for (Tracked t : state.due.dueRespawns(now, instances::holds, t -> !t.busy && !t.retiring())) {
            t.respawnAt = null;
            t.update(t.record().respawned());
            actuator.launch(t);
        }
    }

    /**
     * App-wide restarts go one instance at a time: the next one is stopped only when the one
     * before it is healthy again (or has crashed and is in the respawn back-off).
     */
    void rollRestarts() {
        Map<String, List<Tracked>> byApp = new TreeMap<>();
        for (Tracked t : instances.all()) {
            if (t.restarting || t.rolling) {
                byApp.computeIfAbsent(t.record().app(), k -> new ArrayList<>()).add(t);
            }
        }
        for (List<Tracked> list : byApp.values()) {
            if (list.stream().anyMatch(t -> t.rolling)) {
                continue;
            }
            for (Tracked next : list) {
                next.restarting = false;
                if (next.live() && next.afterStop == null) { // one not running has nothing to restart
                    next.rolling = true;
                    actuator.stop(next, AfterStop.RESTART, "rolling restart");
                    break;
                }
            }
        }
    }
}
