package dev.berth.core.internal.release;

import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.spi.Backend;
import dev.berth.api.DeployRecord;
import dev.berth.spi.InstanceConsole;
import dev.berth.api.InvalidSpecException;
import dev.berth.spi.LaunchRequest;
import dev.berth.spi.NodeStatus;
import dev.berth.spi.RunningInstance;
import dev.berth.api.Source;
import dev.berth.core.internal.git.DiskUsage;
import dev.berth.core.internal.git.GitRepositories;
import dev.berth.core.internal.git.ReleaseCheckout;
import dev.berth.core.internal.text.OutputCap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns git sources into code a backend can run. Specs are resolved before they reach the control
 * loop: a source that follows the deploy branch gets the branch's head commit (none before the
 * first push), a pinned commit is checked to exist and written in full. At launch, the wrapped
 * backend gets the release's tree checked out under {@code <dataDir>/releases/<app>/<commit>}
 * as a directory source (copied by the backend as a release, whose setup then runs once); a
 * following source with no commit yet has no code and is never launched. Checkouts that no release in an
 * app's history uses any more are deleted. Thread-safe.
 */
public final class Releases {
    private static final Logger LOG = LoggerFactory.getLogger(Releases.class);

    private final GitRepositories repositories;
    private final ReleaseCheckout checkout;
    private final Path releasesDir;
    private final String deployBranch;
    private final Map<Path, Object> checkoutLocks = new ConcurrentHashMap<>();

    /**
     * @param dataDir      where repositories ({@code git/}) and checkouts ({@code releases/}) live
     * @param deployBranch the branch whose pushes deploy; {@code main} also accepts {@code master}
     */
    public Releases(Path dataDir, String deployBranch) {
        this.repositories = new GitRepositories(dataDir.resolve("git"));
        this.checkout = new ReleaseCheckout(repositories);
        this.releasesDir = dataDir.resolve("releases");
        this.deployBranch = deployBranch;
    }

    public GitRepositories repositories() {
        return repositories;
    }

    /** Whether a push to {@code branch} deploys: the deploy branch, or {@code master} when it is {@code main} (Mako). */
    public boolean deploys(String branch) {
        return branch.equals(deployBranch) || (deployBranch.equals("main") && branch.equals("master"));
    }

    /** The head of the deploy branch of {@code repository}, if anything was pushed to it. */
    public Optional<String> head(String repository) {
        if (!repositories.exists(repository)) {
            return Optional.empty();
        }
        Optional<String> head = repositories.resolve(repository, "refs/heads/" + deployBranch);
        if (head.isEmpty() && deployBranch.equals("main")) {
            head = repositories.resolve(repository, "refs/heads/master");
        }
        return head;
    }

    /**
     * The spec the control loop runs: a following git source at the deploy branch's head, a pinned
     * one at its full commit id.
     *
     * @throws InvalidSpecException when the repository is not on this platform or lacks the commit
     */
    public AppSpec resolve(AppSpec spec) {
        if (!(spec.source() instanceof Source.Git g)) {
            return spec;
        }
        String where = "app '" + spec.name() + "'";
        try {
            GitRepositories.checkName(g.repository());
        } catch (InvalidSpecException e) {
            throw new InvalidSpecException("source.git.repository", g.repository(),
                    "must name a repository on this platform's git server (an app name: 1-63 of a-z 0-9 -)").in(where);
        }
        if (g.follow()) {
            return spec.toBuilder().source(g.at(head(g.repository()).orElse(null))).build();
        }
        Optional<String> full = repositories.exists(g.repository())
                ? repositories.findCommit(g.repository(), g.commit()) : Optional.empty();
        if (full.isEmpty()) {
            throw new InvalidSpecException("source.git.commit", g.commit(), "must be a commit of repository '"
                    + g.repository() + "' on this platform's git server; git push it first").in(where);
        }
        return spec.toBuilder().source(new Source.Git(g.repository(), full.get(), false)).build();
    }

    /** The launch request with its git source replaced by the checked-out tree (or by nothing yet). */
    LaunchRequest materialize(LaunchRequest r) {
        if (!(r.app().source() instanceof Source.Git g)) {
            return r;
        }
        if (g.commit() == null) {
            // The loop starts none (an app awaiting its first push has no instance); never run a command without its code.
            throw new BackendException("app '" + r.app().name() + "' instance '" + r.instanceId() + "': no code yet: "
                    + "repository '" + g.repository() + "' has nothing on its deploy branch; git push to deploy");
        }
        Source code = Source.directory(checkedOut(r.app().name(), g));
        return new LaunchRequest(r.instanceId(), r.node(), r.app().toBuilder().source(code).build(), r.release());
    }

    /** The release's tree, checked out once however many instances start at the same time. */
    private Path checkedOut(String app, Source.Git g) {
        Path target = releasesDir.resolve(app).resolve(g.commit());
        synchronized (checkoutLocks.computeIfAbsent(target, k -> new Object())) {
            return checkout.checkout(g.repository(), g.commit(), target);
        }
    }

    /** Bytes used by the app's repository (when it has one) and its checked-out releases. */
    public long diskUsage(String app) {
        long repo = repositories.exists(app) ? repositories.diskUsage(app) : 0;
        Path dir = releasesDir.resolve(app);
        return repo + (Files.isDirectory(dir) ? DiskUsage.of(dir) : 0);
    }

    /** Deletes the app's checkouts that no release of its history (or the current one) uses. */
    public void prune(AppRecord app) {
        Path dir = releasesDir.resolve(app.name());
        if (!Files.isDirectory(dir)) {
            return;
        }
        Set<String> kept = new HashSet<>();
        Stream.concat(Stream.of(app.spec()), app.history().stream().map(DeployRecord::spec))
                .map(AppSpec::source).filter(s -> s instanceof Source.Git).map(s -> ((Source.Git) s).commit())
                .forEach(kept::add);
        try (Stream<Path> children = Files.list(dir)) {
            for (Path p : children.toList()) {
                if (!kept.contains(p.getFileName().toString()) && !p.getFileName().toString().startsWith(".")) {
                    deleteTree(p);
                    LOG.info("app {}: deleted release checkout {} (no longer in its last releases)", app.name(), p);
                }
            }
        } catch (IOException e) {
            LOG.warn("app {}: cannot prune release checkouts in {}: {}", app.name(), dir, e.toString());
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> all = Files.walk(p)) {
            for (Path f : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    /**
     * {@code backend}, launching git sources as their checked-out trees. What it reports from the
     * backend (start failures, exit reasons, build output) is capped in bytes by {@link OutputCap}.
     */
    public Backend wrap(Backend backend) {
        return new Backend() {
            @Override
            public String name() {
                return backend.name();
            }

            @Override
            public RunningInstance start(LaunchRequest request) {
                try {
                    return backend.start(materialize(request));
                } catch (RuntimeException e) {
                    throw OutputCap.exception(e); // a reason quoting setup output is logged and becomes events
                }
            }

            @Override
            public void stop(String instanceId, Duration grace) {
                backend.stop(instanceId, grace);
            }

            @Override
            public void kill(String instanceId) {
                backend.kill(instanceId);
            }

            @Override
            public List<RunningInstance> list() {
                return backend.list();
            }

            @Override
            public void onExit(ExitListener listener) {
                backend.onExit((id, handle, exit) -> listener.exited(id, handle, OutputCap.exit(exit)));
            }

            @Override
            public void onBuildOutput(BuildListener listener) {
                backend.onBuildOutput((app, release, node, line) -> listener.output(app, release, node, OutputCap.line(line)));
            }

            @Override
            public List<NodeStatus> nodeStatus() {
                return backend.nodeStatus();
            }

            @Override
            public InstanceConsole console() {
                return backend.console();
            }

            @Override
            public void close() {
                backend.close();
            }
        };
    }

    /** The apps among {@code apps} that follow {@code repository}'s deploy branch. */
    public static List<AppRecord> following(Collection<AppRecord> apps, String repository) {
        return apps.stream().filter(a -> a.spec().source() instanceof Source.Git g && g.follow()
                && g.repository().equals(repository)).toList();
    }
}
