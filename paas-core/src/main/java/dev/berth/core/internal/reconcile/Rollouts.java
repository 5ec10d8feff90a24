// Releases and their rollouts: starting one, reporting its progress, and ending it in success or rollback.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.DeployRecord;
import dev.berth.api.Endpoint;
import dev.berth.api.InstanceState;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Rollout;
import dev.berth.api.RoutingTable;
import dev.berth.core.internal.manifest.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A new release's life: recorded in the app's history and rolled out over the old one; its
 * progress reported; succeeded once every wanted instance is healthy, no old one is live and the
 * router serves the release; failed (and rolled back to the release that served before) when the
 * deadline passes or its instances fail {@link #ROLLOUT_FAILURES} times.
 */
final class Rollouts extends Room {
    private static final Logger log = LoggerFactory.getLogger(Rollouts.class);
    /** Start failures and crashes of a release's instances after which its rollout fails at once. */
    static final int ROLLOUT_FAILURES = 3;

    /** What the loop remembers of an app's rollout between passes (not persisted: recomputed after a restart). */
    private static final class Progress {
        int healthyReported = -1;
        boolean switched;
        int failures;
        String lastFailure = "";
    }

    private final java.util.function.Supplier<RoutingTable> appliedTable;
    private final Map<String, Progress> progress = new HashMap<>();
    /** The time part of the last release id made: ids go on from it. */
    private long lastReleaseMillis;

    Rollouts(LoopState state, LoopControl loop, java.util.function.Supplier<RoutingTable> appliedTable) {
        super(state, loop);
        this.appliedTable = appliedTable;
    }

    /** Makes {@code release} the app's release and starts rolling it out over {@code old}'s. */
    void startRollout(AppRecord old, AppSpec spec, String release) {
        Instant now = w.clock().instant();
        List<DeployRecord> history = new ArrayList<>(old == null ? List.of() : old.history());
        if (!history.isEmpty() && history.get(history.size() - 1).outcome() == DeployRecord.Outcome.IN_PROGRESS) {
            DeployRecord last = history.remove(history.size() - 1);
            history.add(last.ended(now, DeployRecord.Outcome.SUPERSEDED, "replaced by release " + release));
        }
        history.add(new DeployRecord(release, spec, now, null, DeployRecord.Outcome.IN_PROGRESS, ""));
        while (history.size() > w.releasesKept()) {
            history.remove(0);
        }
        // A rollout over a rollout returns, on failure, to the release that served before both.
        Rollout rollout = old == null ? null
                : new Rollout(old.rollout() != null ? old.rollout().fromRelease() : old.release(),
                        old.rollout() != null ? old.rollout().fromSpec() : old.spec(), now, now.plus(spec.update().deadline()));
        AppRecord rec = new AppRecord(spec, release, false, rollout, history);
        state.putApp(rec);
        progress.put(spec.name(), new Progress());
        log.info("app {}: deployed release {}{}", spec.name(), release,
                rollout == null ? "" : " over " + rollout.fromRelease());
        state.emit(new PlatformEvent.AppDeployed(now, spec.name(), release));
        state.emit(new PlatformEvent.DeployStarted(now, spec.name(), release, rollout == null ? "" : rollout.fromRelease()));
        state.lastUnplaced.remove(spec.name());
        loop.passSoon();
    }

    /**
     * A release id: a number that counts the app's releases, and the deploy time (in this JVM, at
     * least a millisecond past the last id's), so that an id is never reused for other code, even
     * after the app is removed and deployed again at once (backends keep release directories by id).
     */
    String newRelease(int previous) {
        // later than every id made before, even on a clock that stands still or steps back
        lastReleaseMillis = Math.max(w.clock().millis(), lastReleaseMillis + 1);
        return "r" + (previous + 1) + "-" + Long.toString(lastReleaseMillis, 36);
    }

    static int releaseNumber(String release) {
        int dash = release.indexOf('-');
        try {
            return Integer.parseInt(release.substring(1, dash < 0 ? release.length() : dash));
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /**
     * Reports the progress of the rollouts of the apps touched since the last pass (or past their
     * deadline) and ends them: succeeded, or failed and rolled back.
     */
    void trackRollouts(Instant now, List<String> touched) {
        java.util.Set<String> names = new java.util.TreeSet<>(touched);
        names.addAll(state.due.dueDeadlines(now, apps));
        for (String name : names) {
            AppRecord app = apps.get(name);
            if (app == null) {
                continue;
            }
            List<DeployRecord> h = app.history();
            if (h.isEmpty() || h.get(h.size() - 1).outcome() != DeployRecord.Outcome.IN_PROGRESS || app.stopped()) {
                continue;
            }
            Progress p = progress.computeIfAbsent(app.name(), k -> new Progress());
            List<Tracked> mine = instances.ofApp(app.name());
            int want = ConvergeStep.awaitingPush(app.spec()) ? 0
                    : app.spec().instances().all() ? state.eligibleNodes(app.spec()) : app.spec().instances().count();
            int healthyNew = (int) mine.stream().filter(t -> t.record().release().equals(app.release())
                    && t.state() == InstanceState.HEALTHY && t.afterStop == null).count();
            boolean oldRouted = mine.stream().anyMatch(t -> !t.record().release().equals(app.release())
                    && t.state() == InstanceState.HEALTHY && t.afterStop == null);
            boolean oldLive = mine.stream().anyMatch(t -> !t.record().release().equals(app.release()) && t.live());
            if (healthyNew != p.healthyReported) {
                p.healthyReported = healthyNew;
                state.emit(new PlatformEvent.DeployProgress(now, app.name(), app.release(), healthyNew, want));
            }
            if (!p.switched && healthyNew > 0 && !oldRouted && app.rollout() != null) {
                p.switched = true;
                state.emit(new PlatformEvent.TrafficSwitched(now, app.name(), app.release()));
            }
            if (healthyNew >= want && !oldLive && routed(app, mine)) {
                finishRollout(app, now, DeployRecord.Outcome.SUCCEEDED, "");
            } else if (app.rollout() != null && !now.isBefore(app.rollout().deadline())) {
                Duration deadline = app.spec().update().deadline();
                List<Tracked> fresh = mine.stream().filter(t -> t.record().release().equals(app.release())).toList();
                failRollout(app, now, healthyNew >= want && !oldLive
                        ? "the router did not route the release's healthy instances within " + Durations.format(deadline)
                        : "not every instance was healthy within " + Durations.format(deadline)
                        + ": " + healthyNew + " of " + want + Readiness.laggards(fresh, app.spec().healthCheck(), deadline)
                        + (p.lastFailure.isEmpty() ? "" : "; last failure: " + p.lastFailure));
            } else if (app.rollout() != null && p.failures >= ROLLOUT_FAILURES) {
                failRollout(app, now, "instances of release " + app.release() + " failed " + p.failures
                        + " times; last failure: " + p.lastFailure);
            }
        }
    }

    /**
     * Whether the router serves every healthy instance of the app's release (trivially so without
     * a router or a domain): a release is live only once its domains reach it. This matters when no
     * old instance was there to drain (a first push after "not deployed yet"): "live" must not
     * precede the table that routes it.
     */
    boolean routed(AppRecord app, List<Tracked> mine) {
        List<String> domains = app.spec().routing().domains();
        if (w.router() == null || domains.isEmpty()) {
            return true;
        }
        RoutingTable applied = appliedTable.get();
        RoutingTable.Route r = applied == null ? null : applied.routes().get(domains.get(0));
        Set<Endpoint> served = r == null ? Set.of() : Set.copyOf(r.endpoints());
        return mine.stream().filter(t -> t.record().release().equals(app.release()) && t.state() == InstanceState.HEALTHY
                && t.afterStop == null && t.record().endpoint() != null).allMatch(t -> served.contains(t.record().endpoint()));
    }

    /** Counts a failure of a new-release instance against its app's rollout. */
    void rolloutFailure(Tracked t, String reason) {
        AppRecord app = apps.get(t.record().app());
        if (app != null && app.rollout() != null && t.record().release().equals(app.release())) {
            Progress p = progress.computeIfAbsent(app.name(), k -> new Progress());
            p.failures++;
            p.lastFailure = t.id() + ": " + reason;
        }
    }

    void finishRollout(AppRecord app, Instant now, DeployRecord.Outcome outcome, String reason) {
        List<DeployRecord> h = new ArrayList<>(app.history());
        DeployRecord last = h.remove(h.size() - 1);
        h.add(last.ended(now, outcome, reason));
        AppRecord rec = new AppRecord(app.spec(), app.release(), app.stopped(), null, h);
        state.putApp(rec);
        progress.remove(app.name());
        Duration took = Duration.between(last.startedAt(), now);
        log.info("app {}: release {} rolled out in {} ms", app.name(), app.release(), took.toMillis());
        state.emit(new PlatformEvent.DeploySucceeded(now, app.name(), app.release(), took));
    }

    /**
     * The new release failed: back to the release that served before, which kept at least the
     * strategy's healthy minimum all along; the new release's instances are then replaced by it.
     */
    void failRollout(AppRecord app, Instant now, String reason) {
        Rollout r = app.rollout();
        List<DeployRecord> h = new ArrayList<>(app.history());
        DeployRecord last = h.remove(h.size() - 1);
        h.add(last.ended(now, DeployRecord.Outcome.ROLLED_BACK, reason));
        AppSpec back = r.fromSpec().toBuilder().instances(app.spec().instances()).routing(app.spec().routing()).build();
        AppRecord rec = new AppRecord(back, r.fromRelease(), app.stopped(), null, h);
        state.putApp(rec);
        progress.remove(app.name());
        log.warn("app {}: release {} failed, rolling back to {}: {}", app.name(), app.release(), r.fromRelease(), reason);
        state.emit(new PlatformEvent.DeployFailed(now, app.name(), app.release(), reason, r.fromRelease()));
    }

    /**
     * Marks every app with a rollout in progress for the next pass (its endpoints may just have
     * been routed); returns whether there was any.
     */
    boolean recheck() {
        progress.keySet().forEach(state.touched::mark);
        return !progress.isEmpty();
    }
}
