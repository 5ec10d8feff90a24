// Nodes that go down and come back: their instances lost and placed elsewhere, stale copies stopped.
package dev.berth.core.internal.reconcile;

import dev.berth.api.InstanceState;
import dev.berth.spi.NodeStatus;
import dev.berth.api.PlatformEvent;
import dev.berth.spi.RunningInstance;
import dev.berth.core.internal.health.HealthProber;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the backend's node liveness through the {@link NodeWatch}: a node unheard of for
 * longer than {@code nodeDownAfter} goes down (its instances are lost and placed elsewhere,
 * moving nothing else, and stay routed until their replacements are ready) unless most nodes
 * fell silent at once (then nothing goes down: the control plane is suspect); a node that
 * answers again comes back up, and whatever it still runs that the platform placed elsewhere
 * meanwhile is stopped once the router no longer sends to it, so an instance id never runs twice.
 */
final class NodeLoss extends Room {
    private static final Logger log = LoggerFactory.getLogger(NodeLoss.class);

    private final NodeWatch nodeWatch;
    private final LostRoutes lost;
    private final HealthProber prober;
    private final java.util.function.BooleanSupplier closed;
    /** Stale instances (lost on a node that answers again) whose stop is in flight. */
    private final Set<String> staleStops = new HashSet<>();

    NodeLoss(LoopState state, LoopControl loop, NodeWatch nodeWatch, LostRoutes lost, HealthProber prober, java.util.function.BooleanSupplier closed) {
        super(state, loop);
        this.nodeWatch = nodeWatch;
        this.lost = lost;
        this.prober = prober;
        this.closed = closed;
    }

    /**
     * Reads the backend's node liveness through the {@link NodeWatch}: a node unheard of for
     * longer than {@code nodeDownAfter} goes down (its instances are lost and placed elsewhere,
     * moving nothing else, and stay routed until their replacements are ready) unless most nodes
     * fell silent at once (then nothing goes down: the control plane is suspect); a node that
     * answers again comes back up, and whatever it still runs that the platform placed elsewhere
     * meanwhile is stopped once the router no longer sends to it, so an instance id never runs twice.
     */
    void watchNodes() {
        List<NodeStatus> statuses = w.backend().nodeStatus();
        if (statuses.isEmpty() || closed.getAsBoolean()) {
            return;
        }
        Instant now = w.clock().instant();
        NodeWatch.Verdict v = nodeWatch.look(statuses, now);
        if (v.suspicion() != null) {
            state.emit(v.suspicion().announce(now)); // logged there: an ERROR line when it begins
        }
        for (NodeWatch.Down d : v.down()) {
            nodeDown(d.node(), now, d.why());
        }
        for (String node : v.up()) {
            log.info("node {} answers again: it takes instances again", node);
            state.emit(new PlatformEvent.NodeUp(now, node));
            lost.nodeBack(node);
        }
        for (NodeStatus s : statuses) {
            if (state.knownNode(s.node()) && s.reachable()) {
                stopStale(s);
            }
        }
        if (v.changed()) {
            state.markAll(); // lost instances to place elsewhere, and ALL apps gain or lose a node
            loop.passSoon();
        }
    }

    void nodeDown(String node, Instant now, String why) {
        String reason = "node " + node + " is down: no answer for over " + w.nodeDownAfter().toMillis() + " ms (" + why + ")";
        log.warn("{}; its instances are lost and placed on the other nodes (routed until their replacements are ready)",
                reason);
        state.emit(new PlatformEvent.NodeDown(now, node, why));
        for (Tracked t : instances.onNode(node)) {
            if (t.state() == InstanceState.STOPPED && !t.busy && !t.retiring()) {
                continue; // stopped on purpose: it stays stopped, and keeps its place
            }
            prober.unwatch(t.id());
            instances.remove(t.id());
            if (w.router() != null && t.state() == InstanceState.HEALTHY && t.afterStop == null && t.record().endpoint() != null) {
                lost.add(t.record().app(), t.id(), node, t.record().endpoint()); // it may well still serve
            }
            if (!t.retiring()) {
                state.emit(new PlatformEvent.InstanceLost(now, t.record().app(), t.id(), node, reason));
            }
        }
    }

    /**
     * Stops what a reachable node runs that the platform does not track there: instances lost
     * while it was cut off (or while no platform watched), never ones that a report taken before
     * the loop stopped them still lists.
     */
    void stopStale(NodeStatus s) {
        for (RunningInstance ri : s.running()) {
            Tracked t = instances.get(ri.instanceId());
            Instant forgotten = state.retired.get(ri.instanceId());
            boolean olderReport = forgotten != null && !s.lastContact().isAfter(forgotten);
            if ((t != null && t.record().node().equals(s.node())) || olderReport || lost.holds(ri.instanceId())
                    || !staleStops.add(ri.instanceId())) {
                continue;
            }
            state.retired.remove(ri.instanceId());
            log.warn("instance {} of app {} still runs on node {}, which lost it while unreachable: stopping it",
                    ri.instanceId(), ri.app(), s.node());
            Duration grace = w.stopGrace();
            loop.workers().execute(() -> {
                try {
                    w.backend().stop(ri.instanceId(), grace);
                    loop.post(() -> {
                        // a report taken before this stop may still list it: such a report must not stop it again
                        state.retired.put(ri.instanceId(), w.clock().instant());
                        state.emit(new PlatformEvent.StaleInstanceStopped(w.clock().instant(), ri.app(), ri.instanceId(), s.node()));
                    });
                } catch (Throwable e) {
                    log.warn("stopping stale instance {} on node {} failed: {}", ri.instanceId(), s.node(), e.toString());
                } finally {
                    loop.post(() -> staleStops.remove(ri.instanceId()));
                }
            });
        }
    }
}
