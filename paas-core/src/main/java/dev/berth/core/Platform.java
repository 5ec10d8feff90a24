// Owns Berth's entry point: the platform's parts wired together, its commands and queries, and its start and close.
package dev.berth.core;

import dev.berth.api.App;
import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.spi.Backend;
import dev.berth.api.BerthException;
import dev.berth.api.Cluster;
import dev.berth.api.DeployPlan;
import dev.berth.api.DeployRecord;
import dev.berth.api.ExecResult;
import dev.berth.api.Instance;
import dev.berth.api.InstanceInfo;
import dev.berth.api.InstanceRecord;
import dev.berth.api.Instances;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.NodeSpec;
import dev.berth.api.NotFoundException;
import dev.berth.api.PlatformEvent;
import dev.berth.api.PlatformListener;
import dev.berth.api.PlatformStats;
import dev.berth.spi.Router;
import dev.berth.api.Routing;
import dev.berth.api.Source;
import dev.berth.spi.StateStore;
import dev.berth.spi.Terminal;
import dev.berth.api.Traffic;
import dev.berth.core.internal.git.GitRepositories;
import dev.berth.core.internal.reconcile.EventBus;
import dev.berth.core.internal.reconcile.Reconciler;
import dev.berth.core.internal.reconcile.Wiring;
import dev.berth.core.internal.release.Releases;
import dev.berth.support.ArgvExpansion;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Berth's entry point: a cluster of nodes, a backend that runs instances on them, an optional
 * router, a state store, and the control loop that keeps the deployed apps running.
 *
 * {@snippet :
 * try (Platform platform = Platform.builder()
 *         .node(NodeSpec.of("local", Resources.of(4, 8192)))
 *         .backend(ProcessBackend.builder().baseDir(Path.of("berth-state/instances")).build())
 *         .stateDir(Path.of("berth-state"))
 *         .build()) {
 *     App web = platform.deploy(AppSpec.builder("web")
 *             .command("python3", "-m", "http.server")
 *             .env("PORT", AppSpec.RANDOM_PORT)
 *             .instances(3)
 *             .build());
 * }
 * }
 *
 * <p>{@link #close()} leaves every instance running: a restart of the host application never
 * causes downtime, and a new platform on the same state dir adopts them (same processes, no
 * restart). Stopping them is explicit: {@link #stopAll(Duration)} or {@link App#stop()}.
 *
 * <p>Thread-safe. Changes are persisted before they are acted on and return once the control
 * loop accepted them; instances follow asynchronously (watch them with a
 * {@link PlatformListener}).
 */
public final class Platform implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Platform.class);
    private final Reconciler reconciler;
    private final EventBus events;
    private final Backend backend;
    private final Router router;
    private final StateStore store;
    private final List<NodeSpec> nodes;
    private final Releases releases;
    /** The git server, when the builder asked for one. */
    private final GitDeployServer gitServer;

    /** A platform from {@code b}'s options, not yet started: see {@link PlatformBuilder#build()}. */
    Platform(PlatformBuilder b, StateStore store, Path dataDir) {
        this.backend = b.backend;
        this.router = b.router;
        this.store = store;
        this.nodes = List.copyOf(b.nodes);
        this.events = new EventBus();
        b.listeners.forEach(events::add);
        this.releases = new Releases(dataDir, b.deployBranch);
        Clock clock = b.clock;
        // Build output goes straight to the listeners: it changes no state the loop owns.
        backend.onBuildOutput((app, release, node, line) ->
                events.publish(new PlatformEvent.BuildOutput(clock.instant(), app, release, node, line)));
        this.reconciler = new Reconciler(new Wiring(nodes, releases.wrap(backend), router, store, b.scheduler,
                events, b.clock, b.resyncInterval, b.stopGrace, b.releasesKept, b.nodeDownAfter,
                b.readinessTimeout));
        this.gitServer = b.gitPassword == null ? null : new GitDeployServer(b, releases, reconciler, events, this::logs);
    }

    /** A new builder; {@link PlatformBuilder#build()} starts the platform. */
    public static PlatformBuilder builder() {
        return new PlatformBuilder();
    }

    /**
     * Starts what the constructor built. Everything that can refuse the start comes before the
     * loop acts: the git server binds its port first (pushes wait for {@link GitDeployServer#started()}),
     * then the loop loads and checks the state before it adopts, stops, respawns or writes
     * anything. A refused start stops what it started and closes what the platform was given.
     */
    void start() {
        try {
            if (gitServer != null) {
                gitServer.start();
            }
            reconciler.start();
            if (gitServer != null) {
                gitServer.started();
            }
        } catch (RuntimeException e) {
            if (gitServer != null) {
                gitServer.close();
            }
            reconciler.close();
            PlatformBuilder.closeAll(e, backend, router, store);
            events.close();
            throw e instanceof BerthException ? e : new BerthException("platform failed to start: " + e.getMessage(), e);
        }
    }

    /**
     * Deploys an app, or updates it. A spec that changes what runs (command, env, source, ...)
     * makes a new release whose instances replace the old ones once healthy; a spec that changes
     * only the count scales. Returns once the app's new record is durable in the state store
     * (like every command), without waiting for its instances.
     *
     * @throws InvalidSpecException when the app cannot run here (nothing is changed)
     * @throws dev.berth.api.StateStoreException when the change could not be saved (it is in
     *         effect, and saved again with the next change)
     */
    public App deploy(AppSpec spec) {
        checkDeployable(spec);
        reconciler.deploy(releases.resolve(spec));
        AppRecord rec = reconciler.view().apps().get(spec.name());
        if (rec != null) {
            releases.prune(rec);
        }
        return app(spec.name());
    }

    /** What {@link #deploy} of {@code spec} would do now, changing nothing (a {@link DeployPlan}); throws as deploy would. */
    public DeployPlan plan(AppSpec spec) {
        checkDeployable(spec);
        return reconciler.plan(releases.resolve(spec));
    }

    /**
     * Throws what {@link #deploy} would throw for a spec this version cannot run, so that a
     * caller deploying several apps can check them all before changing anything.
     */
    public static void checkDeployable(AppSpec spec) {
        Objects.requireNonNull(spec, "spec");
        ArgvExpansion.check(spec);   // every ${NAME} of the command is an env key or a BERTH_ variable
        if (spec.source() instanceof Source.Git git && !GitRepositories.NAME.matcher(git.repository()).matches()) {
            throw new InvalidSpecException("source.git.repository", git.repository(),
                    "must name a repository on this platform's git server (an app name: 1-63 of a-z 0-9 -); "
                            + "other git URLs are not fetched").in("app '" + spec.name() + "'");
        }
    }

    /**
     * Throws what {@link #deploy} would throw for {@code spec} on this platform (a bad value, a
     * git commit its repository does not have), changing nothing.
     */
    public void check(AppSpec spec) {
        checkDeployable(spec);
        releases.resolve(spec);
    }

    /**
     * Bytes on disk for the app: its git repository (when it has one on this platform) and the
     * checked-out trees of its last releases (Magrathea's disk accounting).
     */
    public long diskUsage(String app) {
        if (!reconciler.view().apps().containsKey(app)) {
            throw new NotFoundException("no app named '" + app + "'");
        }
        return releases.diskUsage(app);
    }

    /** How long the control loop's placements and router applies took so far (for metrics). */
    public PlatformStats stats() {
        return reconciler.stats();
    }

    /** The port the git server listens on, when {@link PlatformBuilder#gitServer} started one. */
    public OptionalInt gitPort() {
        return gitServer == null ? OptionalInt.empty() : OptionalInt.of(gitServer.port());
    }

    /**
     * Goes back to the newest earlier release of {@code app} that rolled out successfully, through
     * the same rolling update as a deploy; returns that release.
     *
     * @throws NotFoundException when the app has no such release in its history
     */
    public String rollback(String app) {
        return reconciler.rollback(app);
    }

    /** The app's latest deploys (at most {@link PlatformBuilder#releasesKept}), oldest first. */
    public List<DeployRecord> history(String app) {
        AppRecord rec = reconciler.view().apps().get(app);
        if (rec == null) {
            throw new NotFoundException("no app named '" + app + "'");
        }
        return rec.history();
    }

    /**
     * Routes one more host name to the app (meteor-launcher's "add hostname"): the router serves
     * it at once; the instances keep running (routing is not part of a release).
     *
     * @throws InvalidSpecException for a bad host name, or an app without a PORT to route to
     */
    public void addHostname(String app, String hostname) {
        reconciler.reroute(app, r -> {
            List<String> domains = new ArrayList<>(r.domains());
            String d = hostname == null ? null : hostname.toLowerCase(java.util.Locale.ROOT);
            if (!domains.contains(d)) {
                domains.add(d);
            }
            return new Routing(domains, r.balance(), r.tls(), r.settings());
        });
    }

    /** Stops routing {@code hostname} to the app; unknown names change nothing. */
    public void removeHostname(String app, String hostname) {
        reconciler.reroute(app, r -> {
            List<String> domains = new ArrayList<>(r.domains());
            domains.remove(hostname == null ? null : hostname.toLowerCase(java.util.Locale.ROOT));
            return new Routing(domains, r.balance(), r.tls(), r.settings());
        });
    }

    /** Changes an app's instance count. */
    public void scale(String app, Instances instances) {
        reconciler.scale(app, instances);
    }

    /** Stops an app's instances and keeps its spec; {@link App#start()} brings them back. */
    public void stop(String app) {
        reconciler.setStopped(app, true);
    }

    /** Restarts an app's instances one at a time. */
    public void restart(String app) {
        reconciler.restartApp(app);
    }

    /** Stops an app's instances and forgets the app. */
    public void remove(String app) {
        reconciler.remove(app);
    }

    /** One app. */
    public App app(String name) {
        if (!reconciler.view().apps().containsKey(name)) {
            throw new NotFoundException("no app named '" + name + "'");
        }
        return new AppHandle(this, reconciler, name);
    }

    /** Every app, by name. */
    public List<App> apps() {
        return reconciler.view().apps().keySet().stream().sorted().map(n -> (App) new AppHandle(this, reconciler, n)).toList();
    }

    /** An app's instances. */
    public List<Instance> instances(String app) {
        app(app);
        return reconciler.view().instancesOf(app).stream().map(r -> (Instance) new InstanceHandle(this, reconciler, backend, r.id())).toList();
    }

    /** One instance, by id. */
    public Instance instance(String id) {
        record(id);
        return new InstanceHandle(this, reconciler, backend, id);
    }

    /**
     * An instance's record and what the backend reports of it (container id, image, state and
     * limits; pid and directory). The backend part is empty while the instance does not run, and
     * holds only {@code error} when the backend cannot tell (a host that does not answer).
     */
    public InstanceInfo info(String instanceId) {
        InstanceRecord r = record(instanceId);
        Map<String, String> details = Map.of();
        if (r.state().isLive() && r.handle() != null) {
            try {
                details = backend.console().describe(instanceId);
            } catch (NotFoundException e) {
                details = Map.of(); // it ended since the record was read
            } catch (BerthException e) {
                details = Map.of("error", e.getMessage()); // e.g. its host does not answer: the record still tells
            }
        }
        return new InstanceInfo(r, details);
    }

    /** The environment an instance's process runs with, read from the running instance. */
    public Map<String, String> environment(String instanceId) {
        record(instanceId);
        return backend.console().environment(instanceId);
    }

    /** The last {@code lines} lines of an instance's output. */
    public List<String> logs(String instanceId, int lines) {
        record(instanceId);
        return backend.console().logs(instanceId, lines);
    }

    /** Runs {@code argv} in an instance's directory and env, for at most a minute. */
    public ExecResult exec(String instanceId, List<String> argv) {
        return exec(instanceId, argv, Duration.ofMinutes(1));
    }

    /** Runs {@code argv} in an instance's directory and env; it is killed after {@code timeout} (1 ms to 1 d). */
    public ExecResult exec(String instanceId, List<String> argv, Duration timeout) {
        PlatformBuilder.requireBetween("exec timeout", timeout, Duration.ofMillis(1), Duration.ofDays(1));
        record(instanceId);
        return backend.console().exec(instanceId, argv, timeout);
    }

    /** Runs {@code argv} in an instance on a pseudo-terminal of {@code cols} by {@code rows} (a shell); the caller closes it. */
    public Terminal terminal(String instanceId, List<String> argv, int cols, int rows) {
        Terminal.checkSize(cols, rows);
        record(instanceId);
        return backend.console().terminal(instanceId, argv, cols, rows);
    }

    /** The cluster's nodes and what is free on each. */
    public Cluster cluster() {
        return new ClusterHandle(reconciler, nodes);
    }

    public void addListener(PlatformListener listener) {
        events.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(PlatformListener listener) {
        events.remove(listener);
    }

    /**
     * Stops every instance of every app (the apps are kept, marked stopped) and waits until none
     * runs. This, not {@link #close()}, is how a host application takes its apps down.
     */
    public void stopAll(Duration timeout) {
        PlatformBuilder.requireBetween("stopAll timeout", timeout, Duration.ZERO, Duration.ofDays(1)); // before any app is stopped
        reconciler.stopAll(timeout);
    }

    /**
     * Web traffic per routed domain (requests and bytes sent) since the router was built, from the
     * router's access log; empty without a router.
     */
    public Map<String, Traffic> traffic() {
        return router == null ? Map.of() : router.traffic();
    }

    /** Stops the control loop and releases the backend, router and store; instances keep running. */
    @Override
    public void close() {
        try {
            if (gitServer != null) {
                gitServer.close();
            }
            reconciler.close();
        } finally {
            try {
                backend.close();
            } finally {
                try {
                    if (router != null) {
                        router.close();
                    }
                } finally {
                    try {
                        store.close();
                    } finally {
                        events.close(); // last: the backend may report build output until it is closed
                    }
                }
            }
        }
    }

    /** The record of instance {@code id}; throws {@link NotFoundException}. */
    InstanceRecord record(String id) {
        return reconciler.view().instances().stream().filter(r -> r.id().equals(id)).findFirst()
                .orElseThrow(() -> new NotFoundException("no instance '" + id + "'"));
    }

    /** The record of app {@code name}; throws {@link NotFoundException}. */
    AppRecord appRecord(String name) {
        AppRecord rec = reconciler.view().apps().get(name);
        if (rec == null) {
            throw new NotFoundException("no app named '" + name + "'");
        }
        return rec;
    }
}
