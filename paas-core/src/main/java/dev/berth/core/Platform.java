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
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.NodeSpec;
import dev.berth.api.NotFoundException;
import dev.berth.api.PlatformListener;
import dev.berth.api.Resources;
import dev.berth.api.Router;
import dev.berth.api.Scheduler;
import dev.berth.api.Source;
import dev.berth.api.StateStore;
import dev.berth.api.Traffic;
import dev.berth.core.internal.reconcile.EventBus;
import dev.berth.core.internal.reconcile.Reconciler;
import dev.berth.core.internal.state.FileStateStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

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
    private final Reconciler reconciler;
    private final EventBus events;
    private final Backend backend;
    private final Router router;
    private final StateStore store;
    private final List<NodeSpec> nodes;

    private Platform(Builder b, StateStore store) {
        this.backend = b.backend;
        this.router = b.router;
        this.store = store;
        this.nodes = List.copyOf(b.nodes);
        this.events = new EventBus();
        b.listeners.forEach(events::add);
        this.reconciler = new Reconciler(new Reconciler.Wiring(nodes, backend, router, store, b.scheduler, events,
                b.clock, b.resyncInterval, b.stopGrace, b.releasesKept));
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Deploys an app, or updates it. A spec that changes what runs (command, env, source, ...)
     * makes a new release whose instances replace the old ones once healthy; a spec that changes
     * only the count scales.
     *
     * @throws InvalidSpecException when the app cannot run here (nothing is changed)
     */
    public App deploy(AppSpec spec) {
        checkDeployable(spec);
        reconciler.deploy(spec);
        return app(spec.name());
    }

    /**
     * Throws what {@link #deploy} would throw for a spec this version cannot run, so that a
     * caller deploying several apps can check them all before changing anything.
     */
    public static void checkDeployable(AppSpec spec) {
        Objects.requireNonNull(spec, "spec");
        if (spec.source() instanceof Source.Git git) {
            throw new InvalidSpecException("source.git.commit", git.commit(),
                    "git sources (a pinned commit, Mako's opts.commit) are not deployable yet: they arrive with "
                            + "git push and releases; remove the commit to run the command in the instance directory")
                    .in("app '" + spec.name() + "'");
        }
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
        return new AppHandle(name);
    }

    /** Every app, by name. */
    public List<App> apps() {
        return reconciler.view().apps().keySet().stream().sorted().map(n -> (App) new AppHandle(n)).toList();
    }

    /** An app's instances. */
    public List<Instance> instances(String app) {
        app(app);
        return reconciler.view().instancesOf(app).stream().map(r -> (Instance) new InstanceHandle(r.id())).toList();
    }

    /** One instance, by id. */
    public Instance instance(String id) {
        record(id);
        return new InstanceHandle(id);
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

    /** Runs {@code argv} in an instance's directory and env; it is killed after {@code timeout}. */
    public ExecResult exec(String instanceId, List<String> argv, Duration timeout) {
        record(instanceId);
        return backend.console().exec(instanceId, argv, timeout);
    }

    /** The cluster's nodes and what is free on each. */
    public Cluster cluster() {
        return () -> {
            Reconciler.View v = reconciler.view();
            Map<String, Resources> used = new HashMap<>();
            Map<String, Integer> count = new HashMap<>();
            for (InstanceRecord r : v.instances()) {
                AppRecord app = v.apps().get(r.app());
                if (app != null && r.state() != InstanceState.STOPPED) {
                    used.merge(r.node(), app.spec().resources(), Resources::plus);
                    count.merge(r.node(), 1, Integer::sum);
                }
            }
            List<Cluster.NodeStatus> out = new ArrayList<>();
            for (NodeSpec n : nodes) {
                Resources u = used.getOrDefault(n.id(), Resources.none());
                out.add(new Cluster.NodeStatus(n, true, u, n.capacity().minusClamped(u), count.getOrDefault(n.id(), 0)));
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
            reconciler.close();
            events.close();
        } finally {
            try {
                backend.close();
            } finally {
                try {
                    if (router != null) {
                        router.close();
                    }
                } finally {
                    store.close();
                }
            }
        }
    }

    private InstanceRecord record(String id) {
        return reconciler.view().instances().stream().filter(r -> r.id().equals(id)).findFirst()
                .orElseThrow(() -> new NotFoundException("no instance '" + id + "'"));
    }

    private AppRecord appRecord(String name) {
        AppRecord rec = reconciler.view().apps().get(name);
        if (rec == null) {
            throw new NotFoundException("no app named '" + name + "'");
        }
        return rec;
    }

    /** A handle on one app; reads the loop's last published view. */
    private final class AppHandle implements App {
        private final String name;

        AppHandle(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public AppSpec spec() {
            return appRecord(name).spec();
        }

        @Override
        public String release() {
            return appRecord(name).release();
        }

        @Override
        public boolean stopped() {
            return appRecord(name).stopped();
        }

        @Override
        public List<Instance> instances() {
            return Platform.this.instances(name);
        }

        @Override
        public void scale(Instances instances) {
            Platform.this.scale(name, instances);
        }

        @Override
        public void redeploy(AppSpec spec) {
            if (!spec.name().equals(name)) {
                throw new InvalidSpecException("name", spec.name(), "a redeploy keeps the app's name '" + name + "'");
            }
            deploy(spec);
        }

        @Override
        public void restart() {
            Platform.this.restart(name);
        }

        @Override
        public void stop() {
            Platform.this.stop(name);
        }

        @Override
        public void start() {
            reconciler.setStopped(name, false);
        }

        @Override
        public void remove() {
            Platform.this.remove(name);
        }

        @Override
        public String toString() {
            return "App[" + name + "]";
        }
    }

    /** A handle on one instance. */
    private final class InstanceHandle implements Instance {
        private final String id;

        InstanceHandle(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public InstanceRecord record() {
            return Platform.this.record(id);
        }

        @Override
        public void stop() {
            reconciler.stopInstance(id);
        }

        @Override
        public void restart() {
            reconciler.restartInstance(id);
        }

        @Override
        public void kill() {
            reconciler.killInstance(id);
        }

        @Override
        public List<String> logs(int lines) {
            return Platform.this.logs(id, lines);
        }

        @Override
        public AutoCloseable follow(Consumer<String> consumer) {
            Platform.this.record(id);
            return backend.console().follow(id, consumer);
        }

        @Override
        public ExecResult exec(List<String> argv, Duration timeout) {
            Platform.this.record(id);
            return backend.console().exec(id, argv, timeout);
        }

        @Override
        public String toString() {
            return "Instance[" + id + "]";
        }
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
        private Duration resyncInterval = Duration.ofSeconds(5);
        private Duration stopGrace = Duration.ofSeconds(10);
        private int releasesKept = 10;

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

        /** How long a stopped instance gets between SIGTERM and SIGKILL; 0 to 10 min, default 10 s. */
        /** How many deploys each app's history keeps, and so how far {@code rollback} reaches (default 10, 2-1000). */
        public Builder releasesKept(int releases) {
            if (releases < 2 || releases > 1000) {
                throw new IllegalArgumentException("releasesKept: " + releases + " is not allowed; must be 2-1000");
            }
            this.releasesKept = releases;
            return this;
        }

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

        private static void requireBetween(String option, Duration d, Duration min, Duration max) {
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
            StateStore store = stateStore != null ? stateStore : FileStateStore.open(stateDir);
            Platform p = new Platform(this, store);
            try {
                p.reconciler.start();
            } catch (RuntimeException e) {
                p.reconciler.close();
                p.events.close();
                store.close();
                throw e instanceof BerthException ? e : new BerthException("platform failed to start: " + e.getMessage(), e);
            }
            return p;
        }
    }
}
