// Start-up: loads desired state, adopts what still runs without restarting it, stops what nothing wants.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import dev.berth.api.ExitInfo;
import dev.berth.api.HealthCheck;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.PlatformEvent;
import dev.berth.spi.RunningInstance;
import dev.berth.core.internal.health.HealthProber;
import dev.berth.core.internal.reconcile.Tracked.AfterStop;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop's first task: apps and instance records are loaded from the store; every instance the
 * backend still runs is adopted (same process, kept routed when it was healthy) or, when nothing
 * wants it, stopped; saved instances that no longer run respawn after the first back-off step.
 */
final class Recovery extends Room {
    private static final Logger log = LoggerFactory.getLogger(Recovery.class);

    private final Actuator actuator;
    private final HealthProber prober;

    Recovery(LoopState state, LoopControl loop, Actuator actuator, HealthProber prober) {
        super(state, loop);
        this.actuator = actuator;
        this.prober = prober;
    }

    void recover() {
        w.store().loadApps().values().forEach(state::putApp);
        instances.changes.takeAppsToSave(); // just read from the store: nothing to save back
        state.markAll();
        Map<String, InstanceRecord> saved = new LinkedHashMap<>();
        for (InstanceRecord r : w.store().loadInstances()) {
            saved.put(r.id(), r);
        }
        Map<String, RunningInstance> running = new LinkedHashMap<>();
        for (RunningInstance ri : w.backend().list()) {
            running.put(ri.instanceId(), ri);
        }
        Instant now = w.clock().instant();
        for (RunningInstance ri : running.values()) {
            AppRecord app = apps.get(ri.app());
            state.noteId(ri.instanceId());
            if (app == null || app.stopped() || !state.knownNode(ri.node())) {
                log.info("instance {} of app {} runs but nothing wants it: stopping it", ri.instanceId(), ri.app());
                InstanceRecord r = new InstanceRecord(ri.instanceId(), ri.app(), ri.release(), ri.node(),
                        InstanceState.RUNNING, ri.endpoint(), ri.handle(), 0, ri.startedAt(), null);
                Tracked t = new Tracked(r);
                instances.put(t);
                actuator.stop(t, AfterStop.REMOVE, "not wanted");
                continue;
            }
            InstanceRecord old = saved.get(ri.instanceId());
            int restarts = old == null ? 0 : old.restarts();
            InstanceRecord base = new InstanceRecord(ri.instanceId(), ri.app(), ri.release(), ri.node(),
                    InstanceState.STARTING, null, null, restarts, null, old == null ? null : old.lastExit());
            Tracked t = new Tracked(base);
            instances.put(t);
            state.emit(new PlatformEvent.InstanceAdopted(now, ri.app(), ri.instanceId(), ri.node(), ri.handle()));
            log.info("adopted instance {} of app {} (pid/handle {}) without restarting it", ri.instanceId(), ri.app(),
                    ri.handle());
            actuator.becameRunning(t, ri, app.spec());
            if (old != null && old.state() == InstanceState.HEALTHY && ri.handle().equals(old.handle())
                    && t.state() == InstanceState.RUNNING) {
                // Healthy when the last platform saw it: it stays routed (no 503 while the host
                // restarts) and its checks go on; a failing one takes it out as usual.
                t.update(t.record().withState(InstanceState.HEALTHY));
                t.provedHealthy = true;
                t.healthySince = now;
                t.readyAt = now;
                if (app.spec().healthCheck().type() == HealthCheck.Type.NONE) {
                    prober.unwatch(t.id()); // ready before: no readiness to wait for, and no check was asked for
                }
                state.emit(new PlatformEvent.InstanceHealthy(now, ri.app(), ri.instanceId()));
            }
        }
        for (InstanceRecord r : saved.values()) {
            if (running.containsKey(r.id())) {
                continue;
            }
            state.noteId(r.id());
            AppRecord app = apps.get(r.app());
            if (app == null || app.stopped()) {
                instances.changes.dropSaved(r.id()); // untracked: its saved record is deleted by the first save
                continue;
            }
            Tracked t = new Tracked(r);
            instances.put(t);
            if (r.state() == InstanceState.STOPPED) {
                continue; // stopped on purpose: stays stopped
            }
            // It died while no platform watched: respawn after the first back-off step.
            ExitInfo exit = new ExitInfo(ExitInfo.UNKNOWN, now, "not running when the platform started");
            t.update(r.exited(exit, InstanceState.PENDING));
            actuator.crashed(t, exit, false);
        }
        loop.pass();
    }
}
