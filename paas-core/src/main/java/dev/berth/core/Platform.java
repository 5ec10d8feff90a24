package dev.berth.core;

import dev.berth.api.App;
import dev.berth.api.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.Backend;
import dev.berth.api.BerthException;
import dev.berth.api.Cluster;
import dev.berth.api.DeployRecord;
import dev.berth.api.ExecResult;
import dev.berth.api.Instance;
import dev.berth.api.InstanceInfo;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.NodeSpec;
import dev.berth.api.NotFoundException;
import dev.berth.api.PlatformEvent;
import dev.berth.api.PlatformListener;
import dev.berth.api.Resources;
import dev.berth.api.Router;
import dev.berth.api.Routing;
import dev.berth.api.Scheduler;
import dev.berth.api.Source;
import dev.berth.api.StateStore;
import dev.berth.api.Traffic;
import dev.berth.core.internal.git.GitRepositories;
import dev.berth.core.internal.git.GitServer;
import dev.berth.core.internal.reconcile.EventBus;
import dev.berth.core.internal.reconcile.Reconciler;
import dev.berth.core.internal.reconcile.View;
import dev.berth.core.internal.reconcile.Wiring;
import dev.berth.core.internal.release.Releases;
import dev.berth.core.internal.state.FileStateStore;
import dev.berth.support.ArgvExpansion;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
    private final GitServer gitServer;
    /** Set once build() has started the loop: pushes before that are refused, not lost. */
    private volatile boolean started;
    /** Set once close() began: pushes waiting for their deploy stop waiting. */
    private volatile boolean closing;

    private Platform(Builder b, StateStore store, Path dataDir) {
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
        this.gitServer = b.gitPassword == null ? null
                : GitServer.builder(releases.repositories()).bindAddress(b.gitBindAddress).port(b.gitPort)
                        .password(b.gitPassword).listener(new GitPushes(releases, reconciler, events, this::logs,
                                () -> started, () -> !closing, b.gitPushWaits)).build();
    }

    public static Builder builder() {
        return new Builder();
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

    /** The port the git server listens on, when {@link Builder#gitServer} started one. */
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

    /** The app's latest deploys (at most {@link Builder#releasesKept}), oldest first. */
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
        Builder.requireBetween("exec timeout", timeout, Duration.ofMillis(1), Duration.ofDays(1));
        record(instanceId);
        return backend.console().exec(instanceId, argv, timeout);
    }

    /** The cluster's nodes and what is free on each. */
    public Cluster cluster() {
        return () -> {
            View v = reconciler.view();
            Map<String, Resources> used = new HashMap<>();
            Map<String, Integer> count = new HashMap<>();
            for (InstanceRecord r : v.instances()) {
                AppRecord app = v.apps().get(r.app());
                if (app != null && r.state() != InstanceState.STOPPED) {
                    used.merge(r.node(), app.spec().resources(), Resources::plus);
                    count.merge(r.node(), 1, Integer::sum);
                }
            }
            List<Cluster.Node> out = new ArrayList<>();
            for (NodeSpec n : nodes) {
                Resources u = used.getOrDefault(n.id(), Resources.none());
                out.add(new Cluster.Node(n, !v.downNodes().contains(n.id()), u, n.capacity().minusClamped(u),
                        count.getOrDefault(n.id(), 0)));
            }
            return out;
        };
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
        Builder.requireBetween("stopAll timeout", timeout, Duration.ZERO, Duration.ofDays(1)); // before any app is stopped
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
        closing = true;
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

    /**
     * Builds a {@link Platform}. Each setter checks its value at once; {@link #build()} checks the
     * whole, loads the state and adopts running instances.
     */
    public static final class Builder {
        private final List<NodeSpec> nodes = new ArrayList<>();
        private final List<PlatformListener> listeners = new ArrayList<>();
        private Backend backend;
        private Router router;
        private Path stateDir;
        private StateStore stateStore;
        private Scheduler scheduler = Schedulers.spread();
        private Clock clock = Clock.systemUTC();
        private Duration nodeDownAfter = Wiring.NODE_DOWN_AFTER;
        private Duration readinessTimeout = Wiring.READINESS_TIMEOUT;
        private Duration resyncInterval = Duration.ofSeconds(5);
        private Duration stopGrace = Duration.ofSeconds(10);
        private int releasesKept = 10;
        private Path dataDir;
        private String deployBranch = "main";
        private String gitPassword;
        private String gitBindAddress = "127.0.0.1";
        private int gitPort;
        private boolean gitPushWaits = true;

        private Builder() {
        }

        /** Adds one node. */
        public Builder node(NodeSpec node) {
            Objects.requireNonNull(node, "node");
            if (nodes.stream().anyMatch(n -> n.id().equals(node.id()))) {
                throw new IllegalArgumentException("node: '" + node.id() + "' is declared twice; node ids must be unique");
            }
            nodes.add(node);
            return this;
        }

        /** Adds these nodes. */
        public Builder cluster(List<NodeSpec> nodes) {
            nodes.forEach(this::node);
            return this;
        }

        /** Adds these nodes. */
        public Builder cluster(NodeSpec... nodes) {
            return cluster(List.of(nodes));
        }

        /** The backend that runs instances (required). */
        public Builder backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /** The router that sends domains to healthy instances (optional). */
        public Builder router(Router router) {
            this.router = Objects.requireNonNull(router, "router");
            return this;
        }

        /** Keeps state in files under {@code dir} (the default store). */
        public Builder stateDir(Path dir) {
            this.stateDir = Objects.requireNonNull(dir, "stateDir");
            return this;
        }

        /** Keeps state in {@code store} instead of files. */
        public Builder stateStore(StateStore store) {
            this.stateStore = Objects.requireNonNull(store, "stateStore");
            return this;
        }

        /** The placement engine; default {@link Schedulers#spread()} (Mako's least-loaded node). */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * How long a node may go without answering the backend's liveness checks before it is down
         * (default 5 s): its instances are then lost and placed on the other nodes, and what it
         * still runs when it answers again is stopped. Applies to backends that check their nodes
         * over a network (SSH hosts); local backends report no node liveness.
         */
        public Builder nodeDownAfter(Duration after) {
            if (after == null || after.compareTo(Duration.ofMillis(200)) < 0 || after.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("nodeDownAfter " + after + " is not allowed: must be 200 ms to 1 h");
            }
            this.nodeDownAfter = after;
            return this;
        }

        /**
         * How long an instance with an endpoint and no health check may take to accept its first
         * connection (default 60 s, 100 ms to 1 h). Until then it is not routed; past it (outside a
         * rollout, whose deadline decides there) it is restarted as a failed start, with back-off.
         * With a health check the timeout is its grace period plus {@code maxConsecutiveFailures × interval}.
         */
        public Builder readinessTimeout(Duration timeout) {
            if (timeout == null || timeout.compareTo(Duration.ofMillis(100)) < 0 || timeout.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("readinessTimeout " + timeout + " is not allowed: must be 100 ms to 1 h");
            }
            this.readinessTimeout = timeout;
            return this;
        }

        /** The clock for timestamps and back-off; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How often the control loop resyncs when nothing happens; 100 ms to 1 h, default 5 s. */
        public Builder resyncInterval(Duration interval) {
            requireBetween("resyncInterval", interval, Duration.ofMillis(100), Duration.ofHours(1));
            this.resyncInterval = interval;
            return this;
        }

        /** Where git repositories ({@code git/}) and release checkouts ({@code releases/}) live; default the state dir. */
        public Builder dataDir(Path dir) {
            this.dataDir = Objects.requireNonNull(dir, "dataDir");
            return this;
        }

        /**
         * Starts the git smart-HTTP server on {@code port} (0 picks a free one; Mako used 4001) of
         * 127.0.0.1 unless {@link #gitBindAddress} says otherwise: {@code git push
         * http://git:PASSWORD@HOST:PORT/APP main} stores the code and deploys every app that
         * follows that repository. Every request needs the password (HTTP basic auth, compared in
         * constant time); without this option there is no git server.
         */
        public Builder gitServer(int port, String password) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("gitServer: port " + port + " is not allowed; must be 0-65535");
            }
            if (password == null || password.isBlank()) {
                throw new IllegalArgumentException("gitServer: an empty or blank password is not allowed; set one (Mako's MASTER_PASS)");
            }
            this.gitPort = port;
            this.gitPassword = password;
            return this;
        }

        /**
         * Whether a {@code git push} waits for its deploy (default {@code true}): the push then
         * streams the release's build output, "k of n instances healthy" and the outcome back as
         * {@code remote:} lines, and a release that is rolled back fails the push (the branch stays
         * where it was) with the reason and the last lines of the failing instance's output. It
         * waits at most the app's update deadline plus 30 s. {@code false} returns as soon as the
         * deploy is accepted (persisted), for pushes from scripts or CI jobs that must not block for
         * a rollout, or that follow the deploy through the events API instead.
         */
        public Builder gitPushWaits(boolean waits) {
            this.gitPushWaits = waits;
            return this;
        }

        /** The address the git server binds (default 127.0.0.1). */
        public Builder gitBindAddress(String address) {
            this.gitBindAddress = Objects.requireNonNull(address, "gitBindAddress");
            return this;
        }

        /** The branch whose pushes deploy (default {@code main}, which also accepts Mako's {@code master}). */
        public Builder deployBranch(String branch) {
            if (branch == null || !branch.matches("[A-Za-z0-9][A-Za-z0-9._/-]{0,99}") || branch.contains("..")) {
                throw new IllegalArgumentException("deployBranch: '" + branch + "' is not allowed; must be a branch "
                        + "name of A-Z a-z 0-9 . _ / -");
            }
            this.deployBranch = branch;
            return this;
        }

        /** How many deploys each app's history keeps, and so how far {@code rollback} reaches (default 10, 2-1000). */
        public Builder releasesKept(int releases) {
            if (releases < 2 || releases > 1000) {
                throw new IllegalArgumentException("releasesKept: " + releases + " is not allowed; must be 2-1000");
            }
            this.releasesKept = releases;
            return this;
        }

        /** How long a stopped instance gets between SIGTERM and SIGKILL; 0 to 10 min, default 10 s. */
        public Builder stopGrace(Duration grace) {
            requireBetween("stopGrace", grace, Duration.ZERO, Duration.ofMinutes(10));
            this.stopGrace = grace;
            return this;
        }

        /** Adds a listener that sees every event from the start, adoption included. */
        public Builder listener(PlatformListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        static void requireBetween(String option, Duration d, Duration min, Duration max) {
            if (d == null || d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                throw new IllegalArgumentException(option + ": " + d + " is not allowed; must be " + min + " to " + max);
            }
        }

        /**
         * Loads the state, adopts instances that still run, stops what nothing wants and starts
         * the control loop.
         *
         * @throws IllegalArgumentException when a required part is missing
         * @throws dev.berth.api.StateStoreException when the state cannot be read
         */
        public Platform build() {
            if (nodes.isEmpty()) {
                throw new IllegalArgumentException("cluster: no node declared; add at least one with node(...)");
            }
            if (backend == null) {
                throw new IllegalArgumentException("backend: none given; a platform needs one to run instances");
            }
            if ((stateDir == null) == (stateStore == null)) {
                throw new IllegalArgumentException("state: give exactly one of stateDir(...) or stateStore(...)");
            }
            if (dataDir == null && stateDir == null) {
                throw new IllegalArgumentException("dataDir: none given; with stateStore(...) set dataDir(...) for "
                        + "git repositories and release checkouts");
            }
            StateStore store;
            Platform p;
            try {
                store = stateStore != null ? stateStore : FileStateStore.open(stateDir);
            } catch (RuntimeException e) {
                closeGiven(null, e);
                throw e;
            }
            try {
                p = new Platform(this, store, dataDir != null ? dataDir : stateDir);
            } catch (RuntimeException e) {
                closeGiven(store, e);
                throw e;
            }
            try {
                // Everything that can refuse the start comes before the loop acts: the git server
                // binds its port first (pushes wait for 'started'), then the loop loads and checks
                // the state before it adopts, stops, respawns or writes anything.
                if (p.gitServer != null) {
                    p.gitServer.start();
                }
                p.reconciler.start();
                p.started = true;
            } catch (RuntimeException e) {
                if (p.gitServer != null) {
                    p.gitServer.close();
                }
                p.reconciler.close();
                closeGiven(store, e);
                p.events.close();
                throw e instanceof BerthException ? e : new BerthException("platform failed to start: " + e.getMessage(), e);
            }
            return p;
        }

        /**
         * A refused build closes what it was given (the backend, the router) and the store it
         * opened, as {@link Platform#close} would have: nothing is left holding threads or files.
         * Failures to close are added to {@code cause}.
         */
        private void closeGiven(StateStore store, RuntimeException cause) {
            for (AutoCloseable c : new AutoCloseable[] {backend, router, store}) {
                if (c != null) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        cause.addSuppressed(e);
                    }
                }
            }
        }
    }
}
