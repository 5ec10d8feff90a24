package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import dev.berth.api.HealthCheck;
import dev.berth.api.InstanceState;
import dev.berth.core.internal.manifest.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Readiness before traffic: an instance with an endpoint is routed, and counts toward a rollout,
 * only once it has accepted a TCP connection there (the implicit check, when the spec has none) or
 * passed its health check. One that never gets ready is given up after its readiness timeout
 * (outside a rollout; inside one the rollout's deadline decides) and counts as a failed start.
 * Stateless; the times live in {@link Tracked}.
 */
final class Readiness {
    /** The readiness timeout of the implicit check unless the platform is given another. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private Readiness() {
    }

    /**
     * How long an instance may take to get ready: {@code implicitTimeout} without a health check;
     * with one, its grace period plus the time its failure threshold takes
     * ({@code maxConsecutiveFailures × interval}), as before readiness gated anything.
     */
    static Duration timeout(HealthCheck hc, Duration implicitTimeout) {
        if (hc.type() == HealthCheck.Type.NONE) {
            return implicitTimeout;
        }
        return hc.gracePeriod().plus(hc.interval().multipliedBy(hc.maxConsecutiveFailures()));
    }

    /** Whether a rollout of its release is under way: then the rollout's deadline, not the timeout, decides. */
    static boolean inRollout(Tracked t, AppRecord app) {
        return app.rollout() != null && t.record().release().equals(app.release());
    }

    /** Whether {@code t}, not ready yet, is given up now: outside a rollout, past its readiness timeout. */
    static boolean givesUp(Tracked t, AppRecord app, Duration timeout, Instant now) {
        return !t.provedHealthy && t.runningSince != null && !inRollout(t, app)
                && !now.isBefore(Timing.plus(t.runningSince, timeout));
    }

    /** Why {@code t} is not ready after {@code within}, e.g. "never accepted a connection on 127.0.0.1:8123 within 1m". */
    static String neverReady(Tracked t, HealthCheck hc, Duration within) {
        String span = Durations.format(within);
        if (hc.type() == HealthCheck.Type.NONE) {
            return "never accepted a connection on " + t.record().endpoint() + " within " + span;
        }
        return "never passed its health check within " + span + (t.lastProbe == null ? "" : " (last: " + t.lastProbe + ")");
    }

    /**
     * The instances of a rollout's release that run but never got ready, named with their reason
     * (the first three), for the rollout's failure; empty when there is none.
     */
    static String laggards(List<Tracked> ofRelease, HealthCheck hc, Duration deadline) {
        List<String> named = ofRelease.stream()
                .filter(t -> t.state() == InstanceState.RUNNING && !t.provedHealthy && t.record().endpoint() != null)
                .limit(3).map(t -> t.id() + " " + neverReady(t, hc, deadline)).toList();
        return named.isEmpty() ? "" : "; " + String.join("; ", named);
    }
}
