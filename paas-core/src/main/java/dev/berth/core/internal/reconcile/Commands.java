// The API's commands, run on the loop: desired state changed in memory, durable before the caller returns.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.BerthException;
import dev.berth.api.DeployRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.NotFoundException;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Routing;
import dev.berth.core.internal.reconcile.Tracked.AfterStop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each public command of the platform as a task on the loop thread: deploy, rollback, reroute,
 * scale, stop and start, remove, restarts, and per-instance stop, restart, removal and kill. A
 * command changes the desired state in the loop's memory and asks for a pass; the state writer
 * saves the app records it changed ({@link Publication}), and the caller returns once they are
 * durable, without waiting for the platform to converge. The loop never waits for the disk.
 */
final class Commands extends Room {
    private static final Logger log = LoggerFactory.getLogger(Commands.class);

    private final Actuator actuator;
    private final Rollouts rollouts;
    private final List<CompletableFuture<Void>> idleWaiters = new ArrayList<>();

    Commands(LoopState state, LoopControl loop, Actuator actuator, Rollouts rollouts) {
        super(state, loop);
        this.actuator = actuator;
        this.rollouts = rollouts;
    }

    /** Deploys (or updates) an app; returns its release. */
    String deploy(AppSpec spec) {
        return loop.call(() -> {
            AppRecord old = apps.get(spec.name());
            if (old != null && old.spec().sameReleaseAs(spec)) {
                // Same code and settings: only the count (or the update strategy) changed.
                AppRecord rec = new AppRecord(spec, old.release(), false, old.rollout(), old.history());
                state.putApp(rec);
                if (!old.spec().instances().equals(spec.instances()) || old.stopped()) {
                    state.emit(new PlatformEvent.AppScaled(w.clock().instant(), spec.name(), spec.instances()));
                }
                state.lastUnplaced.remove(spec.name());
                loop.passSoon();
                return old.release();
            }
            String release = rollouts.newRelease(old == null ? 0 : Rollouts.releaseNumber(old.release()));
            rollouts.startRollout(old, spec, release);
            return release;
        });
    }

    /**
     * Goes back to the newest earlier release that rolled out successfully, through the same
     * rolling update; returns that release.
     */
    String rollback(String app) {
        return loop.call(() -> {
            AppRecord rec = state.app(app);
            List<DeployRecord> h = rec.history();
            for (int i = h.size() - 1; i >= 0; i--) {
                DeployRecord d = h.get(i);
                if (d.outcome() == DeployRecord.Outcome.SUCCEEDED && !d.release().equals(rec.release())) {
                    rollouts.startRollout(rec, d.spec().toBuilder().instances(rec.spec().instances())
                            .routing(rec.spec().routing()).build(), d.release());
                    return d.release();
                }
            }
            throw new NotFoundException("app '" + app + "' has no earlier release that rolled out successfully "
                    + "(history: " + h.stream().map(d -> d.release() + " " + d.outcome()).toList() + ")");
        });
    }

    /**
     * Changes an app's routing (its domains, say) in place: the router follows at once, the
     * instances keep running. A routing the spec cannot take (no PORT) throws and changes nothing.
     */
    void reroute(String app, UnaryOperator<Routing> change) {
        loop.call(() -> {
            AppRecord rec = state.app(app);
            AppSpec spec = rec.spec().toBuilder().routing(change.apply(rec.spec().routing())).build();
            AppRecord next = rec.withSpec(spec);
            state.putApp(next);
            log.info("app {}: routing now {}", app, spec.routing().domains());
            loop.passSoon();
            return null;
        });
    }

    /** Changes an app's instance count. */
    void scale(String app, Instances count) {
        loop.call(() -> {
            AppRecord rec = state.app(app);
            AppRecord next = rec.withSpec(rec.spec().withInstances(count));
            state.putApp(next);
            state.lastUnplaced.remove(app);
            state.emit(new PlatformEvent.AppScaled(w.clock().instant(), app, count));
            loop.passSoon();
            return null;
        });
    }

    /** Stops ({@code stopped = true}) or starts an app again, keeping its spec. */
    void setStopped(String app, boolean stopped) {
        loop.call(() -> {
            AppRecord rec = state.app(app);
            if (rec.stopped() != stopped) {
                state.putApp(rec.withStopped(stopped));
                state.emit(stopped ? new PlatformEvent.AppStopped(w.clock().instant(), app, false)
                        : new PlatformEvent.AppScaled(w.clock().instant(), app, rec.spec().instances()));
            }
            loop.passSoon();
            return null;
        });
    }

    /** Stops every instance of an app and forgets it. */
    void remove(String app) {
        loop.call(() -> {
            state.app(app);
            state.removeApp(app);
            state.lastUnplaced.remove(app);
            state.emit(new PlatformEvent.AppStopped(w.clock().instant(), app, true));
            loop.passSoon();
            return null;
        });
    }

    /** Restarts an app's instances one at a time, each waiting for the previous one to be healthy. */
    void restartApp(String app) {
        loop.call(() -> {
            state.app(app);
            touched.mark(app);
            for (Tracked t : instances.ofApp(app)) {
                if (!t.retiring() && t.state() != InstanceState.STOPPED) {
                    t.restarting = true;
                }
            }
            loop.passSoon();
            return null;
        });
    }

    /** Stops one instance and keeps it stopped. */
    void stopInstance(String id) {
        loop.call(() -> {
            actuator.stop(state.instance(id), AfterStop.HOLD, "stopped by request");
            loop.passSoon();
            return null;
        });
    }

    /** Restarts one instance (starts it if it was stopped). */
    void restartInstance(String id) {
        loop.call(() -> {
            Tracked t = state.instance(id);
            AppRecord app = state.app(t.record().app());
            if (!t.record().release().equals(app.release())) {
                actuator.stop(t, AfterStop.REMOVE, "restart requested: replaced by release " + app.release());
            } else if (t.live()) {
                actuator.stop(t, AfterStop.RESTART, "restart requested");
            } else if (!t.busy) {
                t.respawnAt = null;
                actuator.launch(t);
            }
            loop.passSoon();
            return null;
        });
    }

    /**
     * Stops one instance and lowers its app's count by one, so that nothing replaces it. An
     * instance of an older release (being replaced by a rollout) is only stopped.
     */
    void removeInstance(String id) {
        loop.call(() -> {
            Tracked t = state.instance(id);
            AppRecord rec = state.app(t.record().app());
            if (rec.spec().instances().all()) {
                throw new BerthException("instance '" + id + "': app '" + rec.name()
                        + "' runs one instance on every node; scale it to a count before removing one");
            }
            if (t.retiring()) {
                return null;
            }
            if (t.record().release().equals(rec.release())) {
                Instances count = Instances.of(Math.max(0, rec.spec().instances().count() - 1));
                AppRecord next = rec.withSpec(rec.spec().withInstances(count));
                state.putApp(next);
                state.emit(new PlatformEvent.AppScaled(w.clock().instant(), rec.name(), count));
            }
            actuator.stop(t, AfterStop.REMOVE, "removed by request");
            loop.passSoon();
            return null;
        });
    }

    /** Kills one instance; the loop then sees a crash and respawns it. */
    void killInstance(String id) {
        Tracked t = loop.call(() -> state.instance(id));
        w.backend().kill(t.id());
    }

    /** Stops every app (specs kept, marked stopped) and returns when no instance runs. */
    void stopAll(Duration timeout) {
        CompletableFuture<Void> idle = loop.call(() -> {
            for (AppRecord rec : List.copyOf(apps.values())) {
                if (!rec.stopped()) {
                    AppRecord next = rec.withStopped(true);
                    state.putApp(next);
                    state.emit(new PlatformEvent.AppStopped(w.clock().instant(), rec.name(), false));
                }
            }
            CompletableFuture<Void> f = new CompletableFuture<>();
            idleWaiters.add(f);
            loop.passSoon();
            return f;
        });
        try {
            idle.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new BerthException("instances were still running " + timeout + " after stopAll", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BerthException("interrupted while stopping all instances", e);
        } catch (ExecutionException e) {
            throw new BerthException("stopping all instances failed: " + e.getCause(), e.getCause());
        }
    }

    /** Completes the waits of {@link #stopAll} once no instance runs or is being started or stopped. */
    void settleIdleWaiters() {
        if (!idleWaiters.isEmpty() && instances.all().stream().noneMatch(t -> t.live() || t.busy)) {
            idleWaiters.forEach(f -> f.complete(null));
            idleWaiters.clear();
        }
    }
}
