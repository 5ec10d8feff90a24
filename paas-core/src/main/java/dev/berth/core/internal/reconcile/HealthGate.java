// Takes in health probe results: readiness of new instances, and unhealthy ones replaced.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import dev.berth.api.HealthCheck;
import dev.berth.api.InstanceState;
import dev.berth.api.PlatformEvent;
import dev.berth.core.internal.health.HealthProber;
import dev.berth.core.internal.reconcile.Tracked.AfterStop;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns probe results into state: an instance that answers becomes ready (HEALTHY, routed); one
 * that never answers within its readiness timeout is restarted as a failed start; one that fails
 * its health check {@code maxConsecutiveFailures} times in a row is replaced.
 */
final class HealthGate extends Room {
    private static final Logger log = LoggerFactory.getLogger(HealthGate.class);

    private final Actuator actuator;
    private final Rollouts rollouts;

    HealthGate(LoopState state, LoopControl loop, Actuator actuator, Rollouts rollouts) {
        super(state, loop);
        this.actuator = actuator;
        this.rollouts = rollouts;
    }

    void onProbe(HealthProber.Result r) {
        Tracked t = instances.get(r.instanceId());
        if (t == null || t.busy || t.afterStop != null || !Objects.equals(t.record().handle(), r.handle())) {
            return;
        }
        InstanceState s = t.state();
        if (s != InstanceState.RUNNING && s != InstanceState.HEALTHY && s != InstanceState.UNHEALTHY) {
            return;
        }
        AppRecord app = apps.get(t.record().app());
        if (app == null) {
            return;
        }
        touched.mark(app.name());
        HealthCheck hc = app.spec().healthCheck();
        Instant now = w.clock().instant();
        if (r.healthy()) {
            t.probeFailures = 0;
            t.provedHealthy = true;
            if (t.readyAt == null) {
                t.readyAt = now;
            }
            if (s != InstanceState.HEALTHY) {
                t.update(t.record().withState(InstanceState.HEALTHY));
                t.healthySince = now;
                t.rolling = false;
                log.info("instance {} of app {} is {}", t.id(), app.name(), hc.type() == HealthCheck.Type.NONE
                        ? "ready: it accepted a connection on " + t.record().endpoint() : "healthy");
                state.emit(new PlatformEvent.InstanceHealthy(now, app.name(), t.id()));
                loop.passSoon();
            }
            return;
        }
        t.lastProbe = r.detail();
        if (!t.provedHealthy) {
            notReady(t, app, hc, now); // failures before the first success do not count: readiness has a timeout
            return;
        }
        if (hc.type() == HealthCheck.Type.NONE) {
            return; // ready once: no health check was asked for
        }
        t.probeFailures++;
        boolean replace = t.probeFailures >= hc.maxConsecutiveFailures();
        if (s == InstanceState.HEALTHY || s == InstanceState.RUNNING) {
            t.update(t.record().withState(InstanceState.UNHEALTHY));
            t.healthySince = null;
            if (!replace) {
                state.emit(new PlatformEvent.InstanceUnhealthy(now, app.name(), t.id(), r.detail()));
            }
        }
        if (replace) {
            String why = "unhealthy: " + t.probeFailures + " failed checks in a row (" + r.detail() + ")";
            log.warn("instance {} of app {} {}; replacing it", t.id(), app.name(), why);
            state.emit(new PlatformEvent.InstanceUnhealthy(now, app.name(), t.id(), why + "; replacing it"));
            rollouts.rolloutFailure(t, why);
            actuator.stop(t, AfterStop.REPLACE, why);
        }
        loop.passSoon();
    }

    /** A probe of {@code t}, never ready yet, failed: past its readiness timeout it is a failed start. */
    void notReady(Tracked t, AppRecord app, HealthCheck hc, Instant now) {
        Duration timeout = Readiness.timeout(hc, w.readinessTimeout());
        if (!Readiness.givesUp(t, app, timeout, now)) {
            return;
        }
        String why = Readiness.neverReady(t, hc, timeout);
        log.warn("instance {} of app {} {}; restarting it as a failed start", t.id(), app.name(), why);
        state.emit(new PlatformEvent.InstanceUnhealthy(now, app.name(), t.id(), why + "; replacing it"));
        actuator.stop(t, AfterStop.REPLACE, why);
        loop.passSoon();
    }
}
