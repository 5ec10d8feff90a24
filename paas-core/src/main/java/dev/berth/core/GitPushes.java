package dev.berth.core;

import dev.berth.spi.AppRecord;
import dev.berth.api.BerthException;
import dev.berth.api.DeployRecord;
import dev.berth.api.InstanceRecord;
import dev.berth.api.Source;
import dev.berth.core.internal.git.DeployWatch;
import dev.berth.core.internal.git.PushListener;
import dev.berth.core.internal.manifest.Durations;
import dev.berth.core.internal.reconcile.EventBus;
import dev.berth.core.internal.reconcile.Reconciler;
import dev.berth.core.internal.release.Releases;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@code git push} to the platform's git server does: a push to the deploy branch deploys
 * every app that follows that repository through a rolling update, and (unless the platform was
 * built with {@code gitPushWaits(false)}) streams the deploy back to the pusher and waits for its
 * outcome, refusing the branch update when the release was rolled back. Thread-safe: pushes to
 * different apps run concurrently, each on its own git server thread.
 */
final class GitPushes implements PushListener {
    private static final Logger LOG = LoggerFactory.getLogger(GitPushes.class);
    /** How long past an app's update deadline a push waits for the outcome (rollback and its events). */
    static final Duration GRACE = Duration.ofSeconds(30);

    private final Releases releases;
    private final Reconciler reconciler;
    private final EventBus events;
    private final BiFunction<String, Integer, List<String>> logs;
    private final BooleanSupplier started;
    private final BooleanSupplier open;
    private final boolean waits;

    /**
     * @param logs    an instance's last lines of output (the platform's logs API)
     * @param started whether the control loop runs (pushes before that are stored, not deployed)
     * @param open    whether the platform still runs (a wait ends when it closes)
     * @param waits   whether a push waits for the outcome of its deploy
     */
    GitPushes(Releases releases, Reconciler reconciler, EventBus events, BiFunction<String, Integer, List<String>> logs,
              BooleanSupplier started, BooleanSupplier open, boolean waits) {
        this.releases = releases;
        this.reconciler = reconciler;
        this.events = events;
        this.logs = logs;
        this.started = started;
        this.open = open;
        this.waits = waits;
    }

    @Override
    public void pushed(String repository, String branch, String commit) {
        pushed(repository, branch, commit, line -> { });
    }

    @Override
    public Verdict pushed(String repository, String branch, String commit, Consumer<String> remote) {
        if (!started.getAsBoolean()) {
            throw new BerthException("the platform is still starting; the commits are stored: push again in a moment");
        }
        if (!releases.deploys(branch)) {
            LOG.info("git push to {} branch {} ({}): stored; only the deploy branch deploys", repository, branch, commit);
            return Verdict.ACCEPT;
        }
        List<AppRecord> apps = Releases.following(reconciler.view().apps().values(), repository);
        if (apps.isEmpty()) {
            throw new BerthException("no app follows repository '" + repository + "' yet; declare one (a manifest "
                    + "without a commit, or source git: {repository: " + repository + "}) and it will run " + commit);
        }
        List<Deploy> deploys = new ArrayList<>();
        try {
            for (AppRecord app : apps) {
                // Listen before deploying: every event of the new release reaches the watch.
                DeployWatch watch = new DeployWatch(app.name(), app.spec().env().values(), remote, new Lookup());
                events.add(watch);
                deploys.add(new Deploy(app, watch));
                Source.Git g = (Source.Git) app.spec().source();
                String release = reconciler.deploy(app.spec().toBuilder().source(g.at(commit)).build());
                deploys.get(deploys.size() - 1).release = release;
                LOG.info("git push to {} {}: app {} deploys {} as release {}", repository, branch, app.name(), commit, release);
                AppRecord now = reconciler.view().apps().get(app.name());
                if (now != null) {
                    releases.prune(now);
                }
            }
            return waits ? await(deploys, commit) : told(deploys, commit);
        } finally {
            deploys.forEach(d -> events.remove(d.watch));
        }
    }

    /** {@code gitPushWaits(false)}: say what was accepted and return at once. */
    private static Verdict told(List<Deploy> deploys, String commit) {
        for (Deploy d : deploys) {
            d.watch.say("app " + d.app.name() + ": release " + d.release + " of " + shortId(commit)
                    + " accepted; it rolls out now (the push does not wait for it)");
        }
        return Verdict.ACCEPT;
    }

    private Verdict await(List<Deploy> deploys, String commit) {
        Verdict verdict = Verdict.ACCEPT;
        for (Deploy d : deploys) {
            Duration deadline = d.app.spec().update().deadline();
            Optional<DeployRecord> last = Optional.ofNullable(reconciler.view().apps().get(d.app.name()))
                    .flatMap(r -> r.history().stream().filter(h -> h.release().equals(d.release)).reduce((a, b) -> b));
            if (last.isPresent() && last.get().outcome() != DeployRecord.Outcome.IN_PROGRESS
                    && d.release.equals(d.app.release())) {
                d.watch.say("app " + d.app.name() + ": release " + d.release + " already runs " + shortId(commit)
                        + " (" + last.get().outcome() + "); nothing to deploy");
                continue;
            }
            d.watch.say("app " + d.app.name() + ": deploying " + shortId(commit) + " as release " + d.release
                    + "; waiting up to " + Durations.format(deadline) + " for it");
            Verdict v = d.watch.await(d.release, deadline.plus(GRACE), open);
            if (verdict.accepted() && !v.accepted()) {
                verdict = deploys.size() == 1 ? v : Verdict.refuse("app " + d.app.name() + ": " + v.reason());
            }
        }
        return verdict;
    }

    private static String shortId(String commit) {
        return commit.length() > 7 ? commit.substring(0, 7) : commit;
    }

    /** An instance's release from the loop's last view; its output through the platform's logs API. */
    private final class Lookup implements DeployWatch.Instances {
        @Override
        public Optional<String> releaseOf(String instanceId) {
            return reconciler.view().instances().stream().filter(r -> r.id().equals(instanceId))
                    .map(InstanceRecord::release).findFirst();
        }

        @Override
        public List<String> lastLines(String instanceId, int n) {
            try {
                return logs.apply(instanceId, n);
            } catch (RuntimeException e) {
                LOG.debug("cannot read the output of instance {} for a push report: {}", instanceId, e.toString());
                return List.of();
            }
        }
    }

    /** One app's deploy of the push. */
    private static final class Deploy {
        final AppRecord app;
        final DeployWatch watch;
        String release;

        Deploy(AppRecord app, DeployWatch watch) {
            this.app = app;
            this.watch = watch;
        }
    }
}
