// Starts and stops instances through the backend on worker threads, and takes in what comes back: starts, exits, stops.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.ExitInfo;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.spi.LaunchRequest;
import dev.berth.api.PlatformEvent;
import dev.berth.spi.RunningInstance;
import dev.berth.core.internal.health.HealthProber;
import dev.berth.core.internal.reconcile.Tracked.AfterStop;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop's hands: starts an instance through the backend on a worker thread and stops one
 * (draining it from the router first when it may still be routed), then takes the outcome back on
 * the loop thread: started (gated by readiness when it has an endpoint), failed to start, exited
 * (a crash: respawn after the restart policy's back-off), stopped (then held, forgotten,
 * restarted or replaced, as the stop asked).
 */
final class Actuator extends Room {
    private static final Logger log = LoggerFactory.getLogger(Actuator.class);

    private final HealthProber prober;
    private final RoutingSync routing;
    private final Rollouts rollouts;

    Actuator(LoopState state, LoopControl loop, HealthProber prober, RoutingSync routing, Rollouts rollouts) {
        super(state, loop);
        this.prober = prober;
        this.routing = routing;
        this.rollouts = rollouts;
    }

    void launch(Tracked t) {
        AppRecord app = apps.get(t.record().app());
        if (app == null) {
            return;
        }
        touched.mark(app.name());
        t.busy = true;
        t.exitDuringStart = null;
        t.provedHealthy = false;
        t.readyAt = null;
        t.runningSince = null;
        t.lastProbe = null;
        t.probeFailures = 0;
        t.update(t.record().withState(InstanceState.STARTING));
        state.emit(new PlatformEvent.InstanceStarting(w.clock().instant(), app.name(), t.id(), t.record().node()));
        LaunchRequest req = new LaunchRequest(t.id(), t.record().node(), app.spec(), t.record().release());
        AppSpec spec = app.spec();
        loop.workers().execute(() -> {
            try {
                RunningInstance ri = w.backend().start(req);
                loop.post(() -> onStarted(t, ri, spec));
            } catch (Throwable e) {
                log.warn("instance {} of app {} failed to start: {}", t.id(), spec.name(), e.toString());
                loop.post(() -> onStartFailed(t, e));
            }
        });
    }

    void onStarted(Tracked t, RunningInstance ri, AppSpec spec) {
        t.busy = false;
        if (!instances.holds(t)) {
            return;
        }
        touched.mark(t.record().app());
        state.emit(new PlatformEvent.InstanceStarted(w.clock().instant(), t.record().app(), t.id(), ri.node(), ri.endpoint(),
                ri.handle()));
        log.info("instance {} of app {} started on node {} (handle {}, endpoint {})", t.id(), t.record().app(), ri.node(),
                ri.handle(), ri.endpoint());
        becameRunning(t, ri, spec);
        if (t.afterStop != null) {
            AfterStop then = t.afterStop;
            t.afterStop = null;
            stop(t, then, t.stopReason);
        } else if (t.exitDuringStart != null && t.exitDuringStart.handle().equals(ri.handle())) {
            onExited(t.id(), t.exitDuringStart.handle(), t.exitDuringStart.exit());
        }
        t.exitDuringStart = null;
        loop.passSoon();
    }

    /**
     * Its process runs. With an endpoint it stays RUNNING, unrouted and uncounted, until it is
     * ready ({@link Readiness}: a connection accepted, or its health check passed); without one it
     * is ready at once.
     */
    void becameRunning(Tracked t, RunningInstance ri, AppSpec spec) {
        boolean gated = ri.endpoint() != null;
        Instant now = w.clock().instant();
        if (ri.startedAt().isAfter(now)) {
            // a start time in the future (a skewed clock, a bogus pid file) would stretch the grace period without end
            ri = new RunningInstance(ri.instanceId(), ri.app(), ri.release(), ri.node(), ri.endpoint(), ri.handle(), now);
        }
        InstanceRecord next = t.record().started(ri, gated ? InstanceState.RUNNING : InstanceState.HEALTHY);
        if (next.node().equals(t.record().node())) {
            t.update(next);
        } else { // a backend whose engine places instances (a Swarm that schedules) ran it elsewhere
            log.info("instance {} of app {} runs on node {}, where the backend's engine placed it (asked: {})", t.id(),
                    t.record().app(), next.node(), t.record().node());
            instances.moved(t, next);
        }
        t.runningSince = now;
        if (gated) {
            prober.watch(t.id(), ri.handle(), ri.endpoint(), spec.healthCheck());
        } else {
            t.healthySince = now;
            t.readyAt = now;
            t.rolling = false;
            state.emit(new PlatformEvent.InstanceHealthy(t.healthySince, t.record().app(), t.id()));
        }
    }

    void onStartFailed(Tracked t, Throwable e) {
        t.busy = false;
        if (!instances.holds(t)) {
            return;
        }
        touched.mark(t.record().app());
        Instant now = w.clock().instant();
        state.emit(new PlatformEvent.InstanceStartFailed(now, t.record().app(), t.id(), e.getMessage()));
        rollouts.rolloutFailure(t, "start failed: " + e.getMessage());
        if (t.afterStop != null) {
            finishStop(t);
        } else {
            crashed(t, new ExitInfo(ExitInfo.UNKNOWN, now, "start failed: " + e.getMessage()), true);
        }
        loop.passSoon();
    }

    /** Asks the backend to stop {@code t}; what happens next is {@code then}. */
    void stop(Tracked t, AfterStop then, String reason) {
        if (t.afterStop == AfterStop.REMOVE && then != AfterStop.REMOVE) {
            return; // already leaving for good
        }
        t.afterStop = then;
        t.stopReason = reason;
        t.respawnAt = null;
        touched.mark(t.record().app());
        if (t.busy) {
            return; // the start or stop in flight finishes first; onStarted comes back here
        }
        prober.unwatch(t.id());
        if (!t.live() || t.record().handle() == null) {
            finishStop(t);
            return;
        }
        log.info("stopping instance {} of app {}: {}", t.id(), t.record().app(), reason);
        t.busy = true;
        boolean routed = routing.routed(t);
        t.update(t.record().withState(InstanceState.STOPPING));
        if (routed) {
            // Drain first: the next route() takes it out of the table, and the backend stop waits
            // until the router has applied that table, so no new request reaches a dying process.
            routing.drain(t);
            loop.passSoon();
            return;
        }
        stopInBackend(t);
    }

    void stopInBackend(Tracked t) {
        Duration grace = w.stopGrace();
        loop.workers().execute(() -> {
            try {
                w.backend().stop(t.id(), grace);
            } catch (Throwable e) {
                log.warn("stopping instance {} failed: {}", t.id(), e.toString());
            }
            loop.post(() -> {
                t.busy = false;
                if (!instances.holds(t)) {
                    return; // lost with its node meanwhile: nothing follows from this stop
                }
                finishStop(t);
                loop.passSoon();
            });
        });
    }

    void finishStop(Tracked t) {
        AfterStop then = t.afterStop == null ? AfterStop.HOLD : t.afterStop;
        t.afterStop = null;
        touched.mark(t.record().app());
        Instant now = w.clock().instant();
        boolean wasLive = t.record().handle() != null;
        InstanceRecord r = t.record();
        t.update(new InstanceRecord(t.id(), r.app(), r.release(), r.node(), InstanceState.STOPPED, null, null, r.restarts(),
                r.startedAt(), r.lastExit()));
        t.healthySince = null;
        if (wasLive) {
            state.emit(new PlatformEvent.InstanceStopped(now, t.record().app(), t.id()));
        }
        switch (then) {
            case HOLD -> {
                t.restarting = false;
                t.rolling = false;
            }
            case REMOVE -> state.forget(t, now);
            case RESTART -> launch(t);
            case REPLACE -> crashed(t, new ExitInfo(ExitInfo.UNKNOWN, now, t.stopReason), true);
        }
    }

    void onExited(String id, String handle, ExitInfo exit) {
        Tracked t = instances.get(id);
        if (t == null) {
            log.debug("exit of unknown instance {} ignored", id);
            return;
        }
        touched.mark(t.record().app());
        if (t.record().handle() != null && !t.record().handle().equals(handle)) {
            log.debug("late exit of an earlier process {} of instance {} ignored", handle, id);
            return;
        }
        if (t.afterStop != null && t.state() == InstanceState.STOPPING) {
            return; // the stop we asked for
        }
        if (t.state() == InstanceState.STARTING && t.busy) {
            t.exitDuringStart = new Tracked.EarlyExit(handle, exit); // matched against the started process
            return;
        }
        if (!t.live()) {
            return;
        }
        log.warn("instance {} of app {} exited: {}", id, t.record().app(), exit.reason());
        state.emit(new PlatformEvent.InstanceExited(exit.at(), t.record().app(), id, exit));
        rollouts.rolloutFailure(t, "exited: " + exit.reason());
        prober.unwatch(id);
        crashed(t, exit, true);
        loop.passSoon();
    }

    /** A dead instance: record the exit and schedule its respawn after the back-off. */
    void crashed(Tracked t, ExitInfo exit, boolean countFailure) {
        AppRecord app = apps.get(t.record().app());
        Instant now = w.clock().instant();
        t.update(t.record().exited(exit, InstanceState.EXITED));
        t.rolling = false;
        touched.mark(t.record().app());
        if (app == null || app.stopped()) {
            return;
        }
        if (!t.record().release().equals(app.release())) {
            // Its spec is gone: the new release replaces it rather than a respawn.
            state.forget(t, now);
            return;
        }
        Duration delay = RespawnPolicy.delay(t, app.spec().restartPolicy(), now, countFailure);
        t.healthySince = null;
        t.readyAt = null;
        log.info("instance {} of app {} will respawn in {} (restart {})", t.id(), app.name(), delay,
                t.record().restarts() + 1);
        state.emit(new PlatformEvent.InstanceRespawning(now, app.name(), t.id(), t.record().restarts() + 1, delay));
        // The convergence step respawns it once this time has come: after a good run, in the very
        // next pass, whose launch goes out before that pass's router update.
        state.due.respawnAt(t, Timing.plus(now, delay));
        loop.passSoon();
    }
}
