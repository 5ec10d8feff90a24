// What one app needs now, decided from what the loop sees: a pure function, no I/O, no threads, no clock.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.Endpoint;
import dev.berth.api.InstanceState;
import dev.berth.api.NodeSpec;
import dev.berth.spi.PlacementRequest;
import dev.berth.api.RoutingTable;
import dev.berth.api.Source;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The convergence step of one app (Nomad's reconciler {@code Compute()}, Kubernetes'
 * {@code manageReplicas}): from the app's desired state, its instances as seen now, the nodes'
 * liveness and the time {@code now}, which instances to stop for good, which dead ones to respawn
 * now that their back-off has passed, and what to ask the scheduler for. Surplus is scaled down
 * least useful first ({@link ScaleDownOrder}); an old release is retired as {@link RollingPlan}
 * allows (a healthy minimum, a running maximum); an app on every node ({@code ALL}) keeps one
 * instance per eligible node and asks for a placement only when an eligible up node lacks one; an
 * app that waits for its first git push runs nothing. An instance whose back-off has passed
 * respawns where it was, unless it is being stopped, busy with a backend call, of an old release
 * or on a down node. The loop applies the decision through the {@link Actuator}; the back-off
 * itself is {@link RespawnPolicy}'s, also pure. {@link #route} is the routing decision of one app,
 * which {@link RoutingSync} hands to the router.
 */
final class ConvergeStep {
    /**
     * An instance as the step sees it.
     *
     * @param leaving   whether it is already being stopped for good (it neither counts nor is stopped again)
     * @param busy      whether a backend call for it is in flight (nothing more is asked of it meanwhile)
     * @param respawnAt when it respawns after a crash, or null when it is not waiting to
     */
    record Seen(String id, String release, String node, InstanceState state, boolean leaving, boolean busy,
                Instant respawnAt) {
        /** One that is neither busy nor waiting to respawn. */
        Seen(String id, String release, String node, InstanceState state, boolean leaving) {
            this(id, release, node, state, leaving, false, null);
        }

        boolean healthy() {
            return state == InstanceState.HEALTHY;
        }

        boolean live() {
            return state.isLive();
        }
    }

    /** An instance to stop and forget, and why. */
    record Stop(String id, String reason) {
    }

    /**
     * What to do now.
     *
     * @param stops    instances to stop for good, each at most once
     * @param respawns instances to start again where they were, none of them stopped
     * @param request  what to ask the scheduler for, or null
     */
    record Decision(List<Stop> stops, List<String> respawns, PlacementRequest request) {
        Decision {
            stops = List.copyOf(stops);
            respawns = List.copyOf(respawns);
        }
    }

    private ConvergeStep() {
    }

    /**
     * Decides for one app that is not stopped.
     *
     * @param app       the app's record (spec and current release)
     * @param instances every tracked instance of the app
     * @param nodes     every node of the platform
     * @param downNodes the nodes that are down
     * @param now       the time of the decision: respawns due by then happen
     */
    static Decision decide(AppRecord app, List<Seen> instances, Collection<NodeSpec> nodes, Set<String> downNodes,
                           Instant now) {
        Decision d = placeAndStop(app, instances, nodes, downNodes);
        Set<String> stopped = new HashSet<>();
        d.stops().forEach(s -> stopped.add(s.id()));
        List<String> respawns = new ArrayList<>();
        for (Seen s : instances) {
            if (s.respawnAt() != null && !s.respawnAt().isAfter(now) && !s.leaving() && !s.busy()
                    && !stopped.contains(s.id()) && s.release().equals(app.release()) && !downNodes.contains(s.node())
                    && !awaitingPush(app.spec())) {
                respawns.add(s.id());
            }
        }
        return respawns.isEmpty() ? d : new Decision(d.stops(), respawns, d.request());
    }

    private static Decision placeAndStop(AppRecord app, List<Seen> instances, Collection<NodeSpec> nodes,
                                         Set<String> downNodes) {
        AppSpec spec = app.spec();
        List<Stop> stops = new ArrayList<>();
        if (awaitingPush(spec)) {
            for (Seen s : instances) {
                if (!s.leaving()) {
                    stops.add(new Stop(s.id(), "app has no code yet: it waits for its first git push"));
                }
            }
            return new Decision(stops, List.of(), null);
        }
        List<Seen> current = new ArrayList<>();
        List<Seen> old = new ArrayList<>();
        for (Seen s : instances) {
            if (!s.leaving()) {
                (s.release().equals(app.release()) ? current : old).add(s);
            }
        }
        if (spec.instances().all()) {
            return onEveryNode(app, current, old, nodes, downNodes);
        }
        int desired = spec.instances().count();
        if (current.size() > desired) {
            for (Seen s : ScaleDownOrder.sorted(current).subList(0, current.size() - desired)) {
                stops.add(new Stop(s.id(), "scaled down to " + desired));
            }
            return new Decision(stops, List.of(), null);
        }
        int missing = desired - current.size();
        if (!old.isEmpty()) {
            // A rolling update: Marathon's minimumHealthCapacity / maximumOverCapacity.
            List<RollingPlan.Old> olds = ScaleDownOrder.sorted(old).stream()
                    .map(s -> new RollingPlan.Old(s.id(), s.healthy())).toList();
            int healthyCurrent = (int) current.stream().filter(Seen::healthy).count();
            int live = (int) instances.stream().filter(Seen::live).count();
            RollingPlan.Step step = RollingPlan.step(spec.update(), desired, current.size(), healthyCurrent, olds, live);
            for (String id : step.toStop()) {
                stops.add(new Stop(id, "replaced by release " + app.release()));
            }
            missing = step.toStart();
        }
        return new Decision(stops, List.of(), missing > 0
                ? PlacementRequest.of(app.name(), spec.resources(), spec.constraints(), missing) : null);
    }

    /** {@code ALL}: one instance per node (extras are surplus); an old one goes once a healthy new one is beside it. */
    private static Decision onEveryNode(AppRecord app, List<Seen> current, List<Seen> old, Collection<NodeSpec> nodes,
                                        Set<String> downNodes) {
        AppSpec spec = app.spec();
        List<Stop> stops = new ArrayList<>();
        Map<String, Seen> kept = new HashMap<>();
        List<Seen> mostUsefulFirst = ScaleDownOrder.sorted(current);
        Collections.reverse(mostUsefulFirst);
        for (Seen s : mostUsefulFirst) {
            if (kept.putIfAbsent(s.node(), s) != null) {
                stops.add(new Stop(s.id(), "more than one instance on node " + s.node()));
            }
        }
        for (Seen o : old) {
            Seen beside = kept.get(o.node());
            if (beside != null && beside.healthy()) {
                stops.add(new Stop(o.id(), "replaced by release " + app.release()));
            }
        }
        // Ask the scheduler only when some eligible node lacks an instance: a placement call
        // indexes the whole cluster, and this runs on every pass.
        boolean missing = nodes.stream().anyMatch(n -> spec.constraints().admits(n.labels())
                && !kept.containsKey(n.id()) && !downNodes.contains(n.id()));
        return new Decision(stops, List.of(), missing
                ? PlacementRequest.onEveryNode(app.name(), spec.resources(), spec.constraints()) : null);
    }

    /**
     * An instance as the router sees it.
     *
     * @param endpoint where it listens, or null
     * @param ready    whether it passed its readiness check and is healthy
     * @param stopping whether it is being stopped (for any reason: it is drained first)
     */
    record Routable(Endpoint endpoint, boolean ready, boolean stopping) {
    }

    /**
     * The route of an app's domains: its ready instances that are not being stopped, then the
     * endpoints of instances lost with a down node that still serve until enough replacements are
     * ready ({@code lost}, chosen by the caller), each once; an app waiting for its first push with
     * nothing to route answers "not deployed yet".
     */
    static RoutingTable.Route route(AppRecord app, List<Routable> instances, List<Endpoint> lost) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (Routable r : instances) {
            if (r.ready() && !r.stopping() && r.endpoint() != null && !endpoints.contains(r.endpoint())) {
                endpoints.add(r.endpoint());
            }
        }
        for (Endpoint e : lost) {
            if (!endpoints.contains(e)) {
                endpoints.add(e);
            }
        }
        return awaitingPush(app.spec()) && endpoints.isEmpty()
                ? RoutingTable.Route.notDeployed(app.name(), app.spec().routing())
                : RoutingTable.Route.of(app.name(), app.spec().routing(), endpoints);
    }

    /** Whether the app follows a git repository that nothing was pushed to: it has no code to run yet. */
    static boolean awaitingPush(AppSpec spec) {
        return spec.source() instanceof Source.Git g && g.awaitingPush();
    }
}
