package dev.berth.core.internal.reconcile;

import dev.berth.api.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.Backend;
import dev.berth.api.BerthException;
import dev.berth.api.ClusterSnapshot;
import dev.berth.api.DeployRecord;
import dev.berth.api.Endpoint;
import dev.berth.api.ExitInfo;
import dev.berth.api.HealthCheck;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.LaunchRequest;
import dev.berth.api.NodeSpec;
import dev.berth.api.NodeStatus;
import dev.berth.api.NotFoundException;
import dev.berth.api.Placement;
import dev.berth.api.PlacementRequest;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.api.Rollout;
import dev.berth.api.Router;
import dev.berth.api.Routing;
import dev.berth.api.RoutingTable;
import dev.berth.api.Source;
import dev.berth.api.RunningInstance;
import dev.berth.api.StateChanges;
import dev.berth.api.StateStore;
import dev.berth.api.Scheduler;
import dev.berth.core.internal.health.HealthProber;
import dev.berth.core.internal.manifest.Durations;
import dev.berth.core.internal.reconcile.Tracked.AfterStop;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one control loop. It alone changes actual state: API calls, backend exits, health probes
 * and finished backend calls are all posted to its single thread, which then compares desired
 * state (apps) with actual state (instances) and acts: places missing instances through the
 * scheduler, starts them through the backend on worker threads, stops surplus and old-release
 * ones, respawns dead ones after the restart policy's back-off, replaces unhealthy ones, and
 * hands the router a new table when the set of healthy endpoints changes. A periodic resync
 * wakes it even when nothing is posted.
 *
 * <p>Thread-safe: public methods only post work to the loop; reads come from an immutable
 * {@link View} published after every pass.
 */
public final class Reconciler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    /** How long the loop remembers when it forgot an instance (bounds the memory; reports are far fresher). */
    private static final Duration RETIRED_MEMORY = Duration.ofMinutes(10);

    /** What readers see: the state as of the last pass. Immutable. */
    public record View(Map<String, AppRecord> apps, List<InstanceRecord> instances) {
        public View {
            apps = Map.copyOf(apps);
            instances = List.copyOf(instances);
        }

        public List<InstanceRecord> instancesOf(String app) {
            return instances.stream().filter(i -> i.app().equals(app)).toList();
        }
    }

    /**
     * Everything the loop is wired to; {@code releasesKept} bounds each app's deploy history;
     * a node that the backend has not heard from for {@code nodeDownAfter} is down; an instance
     * without a health check that has not accepted a connection within {@code readinessTimeout}
     * of its start (outside a rollout) is restarted as a failed start.
     */
    public record Wiring(List<NodeSpec> nodes, Backend backend, Router router, StateStore store, Scheduler scheduler,
                         EventBus events, Clock clock, Duration resyncInterval, Duration stopGrace, int releasesKept,
                         Duration nodeDownAfter, Duration readinessTimeout) {
        /** The default time without an answer after which a node is down. */
        public static final Duration NODE_DOWN_AFTER = Duration.ofSeconds(5);
        /** The default readiness timeout of instances without a health check. */
        public static final Duration READINESS_TIMEOUT = Readiness.DEFAULT_TIMEOUT;

        public Wiring(List<NodeSpec> nodes, Backend backend, Router router, StateStore store, Scheduler scheduler,
                      EventBus events, Clock clock, Duration resyncInterval, Duration stopGrace) {
            this(nodes, backend, router, store, scheduler, events, clock, resyncInterval, stopGrace, 10, NODE_DOWN_AFTER);
        }

        public Wiring(List<NodeSpec> nodes, Backend backend, Router router, StateStore store, Scheduler scheduler,
                      EventBus events, Clock clock, Duration resyncInterval, Duration stopGrace, int releasesKept,
                      Duration nodeDownAfter) {
            this(nodes, backend, router, store, scheduler, events, clock, resyncInterval, stopGrace, releasesKept,
                    nodeDownAfter, READINESS_TIMEOUT);
        }
    }

    /** What the loop remembers of an app's rollout between passes (not persisted: recomputed after a restart). */
    private static final class Progress {
        int healthyReported = -1;
        boolean switched;
        int failures;
        String lastFailure = "";
    }

    private final Wiring w;
    /** The ids of {@code w.nodes()}, looked up on every node report. */
    private final Set<String> nodeIds;
    private final ScheduledExecutorService loop;
    private final ExecutorService workers;
    private final ExecutorService routerThread;
    private final HealthProber prober;

    // ---- state owned by the loop thread ----
    private final Map<String, AppRecord> apps = new TreeMap<>();
    /** Every tracked instance, by id, app and node: every change of the set goes through it. */
    private final InstanceIndex instances = new InstanceIndex();
    /** The apps the next pass converges: touched since the last one, or all after a resync or a node change. */
    private final DirtyApps touched = new DirtyApps();
    private final Map<String, Integer> lastSeq = new HashMap<>();
    private final Map<String, String> lastUnplaced = new HashMap<>();
    private final Map<String, Progress> progress = new HashMap<>();
    private final List<CompletableFuture<Void>> idleWaiters = new ArrayList<>();
    /** Events of the running task, published once the view shows their effect. */
    private final List<PlatformEvent> outbox = new ArrayList<>();
    /** The last table handed to the router, its sequence number, and the last one it finished applying. */
    private RoutingTable lastTable;
    private long tableSeq;
    private long appliedSeq;
    /** The table the router applied last (loop thread only): a rollout succeeds once it routes the release. */
    private RoutingTable appliedTable;
    /** Decides which nodes are down (not heard from for longer than {@code nodeDownAfter}), and when not to believe it. */
    private final NodeWatch nodeWatch;
    /** The nodes that are down (the watch's read-only view): no instance is placed there. */
    private final Set<String> downNodes;
    /** Endpoints of instances lost with a down node, routed until their replacements are ready. */
    private final LostRoutes lost = new LostRoutes();
    /** Stale instances (lost on a node that answers again) whose stop is in flight. */
    private final Set<String> staleStops = new HashSet<>();
    /**
     * Instances the loop stopped or saw end and then forgot, and when: a node's report taken
     * before that may still list one, which is then not stale. A report taken after it that still
     * lists it means the stop failed: that one is stale.
     */
    private final LinkedHashMap<String, Instant> retired = new LinkedHashMap<>(); // oldest first
    /** Set once {@link #recover()} has completed: only then may the loop's state be saved over the stored one. */
    private boolean recovered;
    private boolean passQueued;
    private ScheduledFuture<?> wakeUp;
    private Instant wakeUpAt;
    private volatile boolean closed;
    private volatile View view = new View(Map.of(), List.of());

    public Reconciler(Wiring wiring) {
        this.w = wiring;
        this.nodeIds = wiring.nodes().stream().map(NodeSpec::id).collect(java.util.stream.Collectors.toUnmodifiableSet());
        this.nodeWatch = new NodeWatch(wiring.nodeDownAfter(), nodeIds::contains);
        this.downNodes = nodeWatch.down();
        this.loop = Executors.newSingleThreadScheduledExecutor(named("berth-reconciler"));
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "berth-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.routerThread = Executors.newSingleThreadExecutor(named("berth-router"));
        this.prober = new HealthProber(2, r -> post(() -> onProbe(r)));
    }

    private static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    // ======================================================================================
    // Start-up: load desired state, adopt what still runs, stop what nothing wants.
    // ======================================================================================

    /** Loads state and adopts running instances; returns when done, rethrowing any error. */
    public void start() {
        w.backend().onExit((id, handle, exit) -> post(() -> onExited(id, handle, exit)));
        call(this::recover);
        loop.scheduleWithFixedDelay(() -> safely(this::resync), w.resyncInterval().toMillis(),
                w.resyncInterval().toMillis(), TimeUnit.MILLISECONDS);
        // Node liveness is read from the backend's last checks (no round trip) a few times per threshold.
        long every = Math.max(50, Math.min(500, w.nodeDownAfter().toMillis() / 4));
        loop.scheduleWithFixedDelay(() -> safely(this::watchNodes), every, every, TimeUnit.MILLISECONDS);
    }

    private Void recover() {
        apps.putAll(w.store().loadApps());
        touched.markAll();
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
            noteId(ri.instanceId());
            if (app == null || app.stopped() || !knownNode(ri.node())) {
                log.info("instance {} of app {} runs but nothing wants it: stopping it", ri.instanceId(), ri.app());
                InstanceRecord r = new InstanceRecord(ri.instanceId(), ri.app(), ri.release(), ri.node(),
                        InstanceState.RUNNING, ri.endpoint(), ri.handle(), 0, ri.startedAt(), null);
                Tracked t = new Tracked(r);
                instances.put(t);
                stop(t, AfterStop.REMOVE, "not wanted");
                continue;
            }
            InstanceRecord old = saved.get(ri.instanceId());
            int restarts = old == null ? 0 : old.restarts();
            InstanceRecord base = new InstanceRecord(ri.instanceId(), ri.app(), ri.release(), ri.node(),
                    InstanceState.STARTING, null, null, restarts, null, old == null ? null : old.lastExit());
            Tracked t = new Tracked(base);
            instances.put(t);
            emit(new PlatformEvent.InstanceAdopted(now, ri.app(), ri.instanceId(), ri.node(), ri.handle()));
            log.info("adopted instance {} of app {} (pid/handle {}) without restarting it", ri.instanceId(), ri.app(),
                    ri.handle());
            becameRunning(t, ri, app.spec());
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
                emit(new PlatformEvent.InstanceHealthy(now, ri.app(), ri.instanceId()));
            }
        }
        for (InstanceRecord r : saved.values()) {
            if (running.containsKey(r.id())) {
                continue;
            }
            noteId(r.id());
            AppRecord app = apps.get(r.app());
            if (app == null || app.stopped()) {
                instances.changed(r.id()); // untracked: its saved record is deleted by the first save
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
            crashed(t, exit, false);
        }
        pass();
        recovered = true;
        return null;
    }

    // ======================================================================================
    // Nodes that die or get cut off, and come back.
    // ======================================================================================

    /**
     * Reads the backend's node liveness through the {@link NodeWatch}: a node unheard of for
     * longer than {@code nodeDownAfter} goes down (its instances are lost and placed elsewhere,
     * moving nothing else, and stay routed until their replacements are ready) unless most nodes
     * fell silent at once (then nothing goes down: the control plane is suspect); a node that
     * answers again comes back up, and whatever it still runs that the platform placed elsewhere
     * meanwhile is stopped once the router no longer sends to it, so an instance id never runs twice.
     */
    private void watchNodes() {
        List<NodeStatus> statuses = w.backend().nodeStatus();
        if (statuses.isEmpty() || closed) {
            return;
        }
        Instant now = w.clock().instant();
        NodeWatch.Verdict v = nodeWatch.look(statuses, now);
        if (v.suspicion() != null) {
            emit(v.suspicion().announce(now)); // logged there: an ERROR line when it begins
        }
        for (NodeWatch.Down d : v.down()) {
            nodeDown(d.node(), now, d.why());
        }
        for (String node : v.up()) {
            log.info("node {} answers again: it takes instances again", node);
            emit(new PlatformEvent.NodeUp(now, node));
            lost.nodeBack(node);
        }
        for (NodeStatus s : statuses) {
            if (knownNode(s.node()) && s.reachable()) {
                stopStale(s);
            }
        }
        if (v.changed()) {
            touched.markAll(); // lost instances to place elsewhere, and ALL apps gain or lose a node
            pass();
        }
    }

    private void nodeDown(String node, Instant now, String why) {
        String reason = "node " + node + " is down: no answer for over " + w.nodeDownAfter().toMillis() + " ms (" + why + ")";
        log.warn("{}; its instances are lost and placed on the other nodes (routed until their replacements are ready)",
                reason);
        emit(new PlatformEvent.NodeDown(now, node, why));
        for (Tracked t : instances.onNode(node)) {
            if (t.state() == InstanceState.STOPPED && !t.busy && !t.retiring()) {
                continue; // stopped on purpose: it stays stopped, and keeps its place
            }
            prober.unwatch(t.id());
            instances.remove(t.id());
            if (w.router() != null && t.state() == InstanceState.HEALTHY && t.afterStop == null && t.record().endpoint() != null) {
                lost.add(t.record().app(), t.id(), node, t.record().endpoint()); // it may well still serve
            }
            if (!t.retiring()) {
                emit(new PlatformEvent.InstanceLost(now, t.record().app(), t.id(), node, reason));
            }
        }
    }

    /**
     * Stops what a reachable node runs that the platform does not track there: instances lost
     * while it was cut off (or while no platform watched), never ones that a report taken before
     * the loop stopped them still lists.
     */
    private void stopStale(NodeStatus s) {
        for (RunningInstance ri : s.running()) {
            Tracked t = instances.get(ri.instanceId());
            Instant forgotten = retired.get(ri.instanceId());
            boolean olderReport = forgotten != null && !s.lastContact().isAfter(forgotten);
            if ((t != null && t.record().node().equals(s.node())) || olderReport || lost.holds(ri.instanceId())
                    || !staleStops.add(ri.instanceId())) {
                continue;
            }
            retired.remove(ri.instanceId());
            log.warn("instance {} of app {} still runs on node {}, which lost it while unreachable: stopping it",
                    ri.instanceId(), ri.app(), s.node());
            Duration grace = w.stopGrace();
            workers.execute(() -> {
                try {
                    w.backend().stop(ri.instanceId(), grace);
                    post(() -> emit(new PlatformEvent.StaleInstanceStopped(w.clock().instant(), ri.app(), ri.instanceId(),
                            s.node())));
                } catch (Throwable e) {
                    log.warn("stopping stale instance {} on node {} failed: {}", ri.instanceId(), s.node(), e.toString());
                } finally {
                    post(() -> staleStops.remove(ri.instanceId()));
                }
            });
        }
    }

    /** Drops an instance that is stopped or gone for good, remembering when (see {@link #retired}). */
    private void forget(Tracked t, Instant now) {
        instances.remove(t.id());
        touched.mark(t.record().app());
        Instant horizon = now.minus(RETIRED_MEMORY);
        for (var oldest = retired.values().iterator(); oldest.hasNext() && oldest.next().isBefore(horizon); ) {
            oldest.remove();
        }
        retired.remove(t.id());
        retired.put(t.id(), now);
    }

    private boolean knownNode(String node) {
        return nodeIds.contains(node);
    }

    private void noteId(String id) {
        int dash = id.lastIndexOf('-');
        if (dash > 0) {
            try {
                int seq = Integer.parseInt(id.substring(dash + 1));
                lastSeq.merge(id.substring(0, dash), seq, Math::max);
            } catch (NumberFormatException ignored) {
                // not one of ours; ids are only compared for equality
            }
        }
    }

    // ======================================================================================
    // Commands from the API. Desired state is persisted before it is acted on.
    // ======================================================================================

    /** Deploys (or updates) an app; returns its release. */
    public String deploy(AppSpec spec) {
        return call(() -> {
            AppRecord old = apps.get(spec.name());
            if (old != null && old.spec().sameReleaseAs(spec)) {
                // Same code and settings: only the count (or the update strategy) changed.
                AppRecord rec = new AppRecord(spec, old.release(), false, old.rollout(), old.history());
                w.store().saveApp(rec);
                putApp(rec);
                if (!old.spec().instances().equals(spec.instances()) || old.stopped()) {
                    emit(new PlatformEvent.AppScaled(w.clock().instant(), spec.name(), spec.instances()));
                }
                lastUnplaced.remove(spec.name());
                pass();
                return old.release();
            }
            String release = newRelease(old == null ? 0 : releaseNumber(old.release()));
            startRollout(old, spec, release);
            return release;
        });
    }

    /**
     * Goes back to the newest earlier release that rolled out successfully, through the same
     * rolling update; returns that release.
     */
    public String rollback(String app) {
        return call(() -> {
            AppRecord rec = app(app);
            List<DeployRecord> h = rec.history();
            for (int i = h.size() - 1; i >= 0; i--) {
                DeployRecord d = h.get(i);
                if (d.outcome() == DeployRecord.Outcome.SUCCEEDED && !d.release().equals(rec.release())) {
                    startRollout(rec, d.spec().toBuilder().instances(rec.spec().instances())
                            .routing(rec.spec().routing()).build(), d.release());
                    return d.release();
                }
            }
            throw new NotFoundException("app '" + app + "' has no earlier release that rolled out successfully "
                    + "(history: " + h.stream().map(d -> d.release() + " " + d.outcome()).toList() + ")");
        });
    }

    /** Makes {@code release} the app's release and starts rolling it out over {@code old}'s. */
    private void startRollout(AppRecord old, AppSpec spec, String release) {
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
        w.store().saveApp(rec);
        putApp(rec);
        progress.put(spec.name(), new Progress());
        log.info("app {}: deployed release {}{}", spec.name(), release,
                rollout == null ? "" : " over " + rollout.fromRelease());
        emit(new PlatformEvent.AppDeployed(now, spec.name(), release));
        emit(new PlatformEvent.DeployStarted(now, spec.name(), release, rollout == null ? "" : rollout.fromRelease()));
        lastUnplaced.remove(spec.name());
        pass();
    }

    /**
     * A release id: a number that counts the app's releases, and the deploy time, so that an id
     * is never reused for other code, even after the app is removed and deployed again (backends
     * keep release directories by id).
     */
    private String newRelease(int previous) {
        return "r" + (previous + 1) + "-" + Long.toString(w.clock().millis(), 36);
    }

    private static int releaseNumber(String release) {
        int dash = release.indexOf('-');
        try {
            return Integer.parseInt(release.substring(1, dash < 0 ? release.length() : dash));
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /**
     * Changes an app's routing (its domains, say) in place: the router follows at once, the
     * instances keep running. A routing the spec cannot take (no PORT) throws and changes nothing.
     */
    public void reroute(String app, UnaryOperator<Routing> change) {
        call(() -> {
            AppRecord rec = app(app);
            AppSpec spec = rec.spec().toBuilder().routing(change.apply(rec.spec().routing())).build();
            AppRecord next = rec.withSpec(spec);
            w.store().saveApp(next);
            putApp(next);
            log.info("app {}: routing now {}", app, spec.routing().domains());
            pass();
            return null;
        });
    }

    /** Changes an app's instance count. */
    public void scale(String app, Instances count) {
        call(() -> {
            AppRecord rec = app(app);
            AppRecord next = rec.withSpec(rec.spec().withInstances(count));
            w.store().saveApp(next);
            putApp(next);
            lastUnplaced.remove(app);
            emit(new PlatformEvent.AppScaled(w.clock().instant(), app, count));
            pass();
            return null;
        });
    }

    /** Stops ({@code stopped = true}) or starts an app again, keeping its spec. */
    public void setStopped(String app, boolean stopped) {
        call(() -> {
            AppRecord rec = app(app);
            if (rec.stopped() != stopped) {
                w.store().saveApp(rec.withStopped(stopped));
                putApp(rec.withStopped(stopped));
                emit(stopped ? new PlatformEvent.AppStopped(w.clock().instant(), app, false)
                        : new PlatformEvent.AppScaled(w.clock().instant(), app, rec.spec().instances()));
            }
            pass();
            return null;
        });
    }

    /** Stops every instance of an app and forgets it. */
    public void remove(String app) {
        call(() -> {
            app(app);
            w.store().deleteApp(app);
            apps.remove(app);
            touched.mark(app);
            lastUnplaced.remove(app);
            emit(new PlatformEvent.AppStopped(w.clock().instant(), app, true));
            pass();
            return null;
        });
    }

    /** Restarts an app's instances one at a time, each waiting for the previous one to be healthy. */
    public void restartApp(String app) {
        call(() -> {
            app(app);
            touched.mark(app);
            for (Tracked t : instances.ofApp(app)) {
                if (!t.retiring() && t.state() != InstanceState.STOPPED) {
                    t.restarting = true;
                }
            }
            pass();
            return null;
        });
    }

    /** Stops one instance and keeps it stopped. */
    public void stopInstance(String id) {
        call(() -> {
            stop(instance(id), AfterStop.HOLD, "stopped by request");
            pass();
            return null;
        });
    }

    /** Restarts one instance (starts it if it was stopped). */
    public void restartInstance(String id) {
        call(() -> {
            Tracked t = instance(id);
            AppRecord app = app(t.record().app());
            if (!t.record().release().equals(app.release())) {
                stop(t, AfterStop.REMOVE, "restart requested: replaced by release " + app.release());
            } else if (t.live()) {
                stop(t, AfterStop.RESTART, "restart requested");
            } else if (!t.busy) {
                t.respawnAt = null;
                launch(t);
            }
            pass();
            return null;
        });
    }

    /**
     * Stops one instance and lowers its app's count by one, so that nothing replaces it. An
     * instance of an older release (being replaced by a rollout) is only stopped.
     */
    public void removeInstance(String id) {
        call(() -> {
            Tracked t = instance(id);
            AppRecord rec = app(t.record().app());
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
                w.store().saveApp(next);
                putApp(next);
                emit(new PlatformEvent.AppScaled(w.clock().instant(), rec.name(), count));
            }
            stop(t, AfterStop.REMOVE, "removed by request");
            pass();
            return null;
        });
    }

    /** Kills one instance; the loop then sees a crash and respawns it. */
    public void killInstance(String id) {
        Tracked t = call(() -> instance(id));
        w.backend().kill(t.id());
    }

    /** Stops every app (specs kept, marked stopped) and returns when no instance runs. */
    public void stopAll(Duration timeout) {
        CompletableFuture<Void> idle = call(() -> {
            for (AppRecord rec : List.copyOf(apps.values())) {
                if (!rec.stopped()) {
                    AppRecord next = rec.withStopped(true);
                    w.store().saveApp(next);
                    putApp(next);
                    emit(new PlatformEvent.AppStopped(w.clock().instant(), rec.name(), false));
                }
            }
            CompletableFuture<Void> f = new CompletableFuture<>();
            idleWaiters.add(f);
            pass();
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

    public View view() {
        return view;
    }

    /** Replaces an app's record (already saved): the next pass converges it. */
    private void putApp(AppRecord rec) {
        apps.put(rec.name(), rec);
        touched.mark(rec.name());
    }

    /** The periodic resync: a pass over every app, which heals whatever a missed mark left behind. */
    private void resync() {
        touched.markAll();
        pass();
    }

    private AppRecord app(String name) {
        AppRecord rec = apps.get(name);
        if (rec == null) {
            throw new NotFoundException("no app named '" + name + "' (apps: " + apps.keySet() + ")");
        }
        return rec;
    }

    private Tracked instance(String id) {
        Tracked t = instances.get(id);
        if (t == null) {
            throw new NotFoundException("no instance '" + id + "'");
        }
        return t;
    }

    // ======================================================================================
    // The pass: compare desired and actual state and act.
    // ======================================================================================

    private void pass() {
        passQueued = false;
        if (closed) {
            return;
        }
        Instant now = w.clock().instant();
        retireUnwanted();
        List<PlacementRequest> requests = new ArrayList<>();
        List<AppRecord> requesters = new ArrayList<>();
        for (AppRecord app : touched.take(apps, lastUnplaced.keySet())) {
            if (!app.stopped()) {
                converge(app, requests, requesters);
            }
        }
        if (!requests.isEmpty()) {
            placeAndStart(requests, requesters);
        }
        respawnDue(now);
        rollRestarts();
        trackRollouts(now);
        route();
        publish();
        scheduleWakeUp();
    }

    /** Instances whose app is gone or stopped are stopped and forgotten. */
    private void retireUnwanted() {
        for (Tracked t : instances.copy()) {
            AppRecord app = apps.get(t.record().app());
            if ((app == null || app.stopped()) && !t.retiring()) {
                stop(t, AfterStop.REMOVE, app == null ? "app removed" : "app stopped");
            }
        }
    }

    /** One app: scale down surplus, retire the old release, ask for what is missing. */
    private void converge(AppRecord app, List<PlacementRequest> requests, List<AppRecord> requesters) {
        if (awaitingPush(app.spec())) {
            // No code before the first git push: no process runs in an empty directory, none crash-loops.
            for (Tracked t : instances.ofApp(app.name())) {
                if (!t.retiring()) {
                    stop(t, AfterStop.REMOVE, "app has no code yet: it waits for its first git push");
                }
            }
            return;
        }
        List<Tracked> current = new ArrayList<>();
        List<Tracked> old = new ArrayList<>();
        for (Tracked t : instances.ofApp(app.name())) {
            if (t.retiring()) {
                continue;
            }
            (t.record().release().equals(app.release()) ? current : old).add(t);
        }
        AppSpec spec = app.spec();
        long healthyCurrent = current.stream().filter(t -> t.state() == InstanceState.HEALTHY).count();
        if (spec.instances().all()) {
            // One per node: extras on a node are surplus.
            Map<String, Integer> perNode = new HashMap<>();
            List<Tracked> mostUsefulFirst = ScaleDownOrder.sorted(current);
            Collections.reverse(mostUsefulFirst);
            for (Tracked t : mostUsefulFirst) {
                if (perNode.merge(t.record().node(), 1, Integer::sum) > 1) {
                    stop(t, AfterStop.REMOVE, "more than one instance on node " + t.record().node());
                }
            }
            // Ask the scheduler only when some eligible node lacks an instance: a placement call
            // indexes the whole cluster, and this runs on every pass.
            boolean missing = w.nodes().stream().anyMatch(n -> spec.constraints().admits(n.labels())
                    && !perNode.containsKey(n.id()) && !downNodes.contains(n.id()));
            if (missing) {
                requests.add(PlacementRequest.onEveryNode(app.name(), spec.resources(), spec.constraints()));
                requesters.add(app);
            }
            for (Tracked o : old) {
                boolean replaced = current.stream().anyMatch(c -> c.record().node().equals(o.record().node())
                        && c.state() == InstanceState.HEALTHY);
                if (replaced) {
                    stop(o, AfterStop.REMOVE, "replaced by release " + app.release());
                }
            }
            return;
        }
        int desired = spec.instances().count();
        if (current.size() > desired) {
            List<Tracked> order = ScaleDownOrder.sorted(current);
            for (Tracked t : order.subList(0, current.size() - desired)) {
                stop(t, AfterStop.REMOVE, "scaled down to " + desired);
            }
            return;
        }
        int missing = desired - current.size();
        if (!old.isEmpty()) {
            // A rolling update: Marathon's minimumHealthCapacity / maximumOverCapacity.
            List<RollingPlan.Old> olds = ScaleDownOrder.sorted(old).stream()
                    .map(t -> new RollingPlan.Old(t.id(), t.state() == InstanceState.HEALTHY)).toList();
            int live = (int) instances.ofApp(app.name()).stream().filter(Tracked::live).count();
            RollingPlan.Step step = RollingPlan.step(spec.update(), desired, current.size(), (int) healthyCurrent, olds, live);
            for (String id : step.toStop()) {
                stop(instances.get(id), AfterStop.REMOVE, "replaced by release " + app.release());
            }
            missing = step.toStart();
        }
        if (missing > 0) {
            requests.add(PlacementRequest.of(app.name(), spec.resources(), spec.constraints(), missing));
            requesters.add(app);
        }
    }

    /** Whether the app follows a git repository that nothing was pushed to: it has no code to run yet. */
    private static boolean awaitingPush(AppSpec spec) {
        return spec.source() instanceof Source.Git g && g.awaitingPush();
    }

    private void placeAndStart(List<PlacementRequest> requests, List<AppRecord> requesters) {
        Placement placement = w.scheduler().place(snapshot(), requests);
        for (Placement.Assignment a : placement.assignments()) {
            AppRecord app = requesters.get(a.request());
            String id = app.name() + "-" + lastSeq.merge(app.name(), 1, Integer::sum);
            Tracked t = new Tracked(new InstanceRecord(id, app.name(), app.release(), a.node(), InstanceState.PENDING,
                    null, null, 0, null, null));
            instances.put(t);
            launch(t);
        }
        Map<String, String> reasons = new HashMap<>();
        for (Placement.Unplaced u : placement.unplaced()) {
            AppRecord app = requesters.get(u.request());
            reasons.put(app.name(), u.reason());
            String key = u.count() + ":" + u.reason();
            if (!key.equals(lastUnplaced.get(app.name()))) {
                lastUnplaced.put(app.name(), key);
                log.warn("app {}: {} instance(s) cannot be placed: {}", app.name(), u.count(), u.reason());
                emit(new PlatformEvent.InstancesUnplaced(w.clock().instant(), app.name(), u.count(), u.reason()));
            }
        }
        for (AppRecord app : requesters) {
            if (!reasons.containsKey(app.name())) {
                lastUnplaced.remove(app.name());
            }
        }
    }

    // ======================================================================================
    // Rollouts: progress, success, failure and automatic rollback.
    // ======================================================================================

    /** Reports each rollout's progress and ends it: succeeded, or failed and rolled back. */
    private void trackRollouts(Instant now) {
        for (AppRecord app : List.copyOf(apps.values())) {
            List<DeployRecord> h = app.history();
            if (h.isEmpty() || h.get(h.size() - 1).outcome() != DeployRecord.Outcome.IN_PROGRESS || app.stopped()) {
                continue;
            }
            Progress p = progress.computeIfAbsent(app.name(), k -> new Progress());
            List<Tracked> mine = instances.ofApp(app.name());
            int want = awaitingPush(app.spec()) ? 0
                    : app.spec().instances().all() ? eligibleNodes(app.spec()) : app.spec().instances().count();
            int healthyNew = (int) mine.stream().filter(t -> t.record().release().equals(app.release())
                    && t.state() == InstanceState.HEALTHY && t.afterStop == null).count();
            boolean oldRouted = mine.stream().anyMatch(t -> !t.record().release().equals(app.release())
                    && t.state() == InstanceState.HEALTHY && t.afterStop == null);
            boolean oldLive = mine.stream().anyMatch(t -> !t.record().release().equals(app.release()) && t.live());
            if (healthyNew != p.healthyReported) {
                p.healthyReported = healthyNew;
                emit(new PlatformEvent.DeployProgress(now, app.name(), app.release(), healthyNew, want));
            }
            if (!p.switched && healthyNew > 0 && !oldRouted && app.rollout() != null) {
                p.switched = true;
                emit(new PlatformEvent.TrafficSwitched(now, app.name(), app.release()));
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
    private boolean routed(AppRecord app, List<Tracked> mine) {
        List<String> domains = app.spec().routing().domains();
        if (w.router() == null || domains.isEmpty()) {
            return true;
        }
        RoutingTable.Route r = appliedTable == null ? null : appliedTable.routes().get(domains.get(0));
        Set<Endpoint> served = r == null ? Set.of() : Set.copyOf(r.endpoints());
        return mine.stream().filter(t -> t.record().release().equals(app.release()) && t.state() == InstanceState.HEALTHY
                && t.afterStop == null && t.record().endpoint() != null).allMatch(t -> served.contains(t.record().endpoint()));
    }

    /** Start failures and crashes of a release's instances after which its rollout fails at once. */
    static final int ROLLOUT_FAILURES = 3;

    /** Counts a failure of a new-release instance against its app's rollout. */
    private void rolloutFailure(Tracked t, String reason) {
        AppRecord app = apps.get(t.record().app());
        if (app != null && app.rollout() != null && t.record().release().equals(app.release())) {
            Progress p = progress.computeIfAbsent(app.name(), k -> new Progress());
            p.failures++;
            p.lastFailure = t.id() + ": " + reason;
        }
    }

    private void finishRollout(AppRecord app, Instant now, DeployRecord.Outcome outcome, String reason) {
        List<DeployRecord> h = new ArrayList<>(app.history());
        DeployRecord last = h.remove(h.size() - 1);
        h.add(last.ended(now, outcome, reason));
        AppRecord rec = new AppRecord(app.spec(), app.release(), app.stopped(), null, h);
        w.store().saveApp(rec);
        putApp(rec);
        progress.remove(app.name());
        Duration took = Duration.between(last.startedAt(), now);
        log.info("app {}: release {} rolled out in {} ms", app.name(), app.release(), took.toMillis());
        emit(new PlatformEvent.DeploySucceeded(now, app.name(), app.release(), took));
    }

    /**
     * The new release failed: back to the release that served before, which kept at least the
     * strategy's healthy minimum all along; the new release's instances are then replaced by it.
     */
    private void failRollout(AppRecord app, Instant now, String reason) {
        Rollout r = app.rollout();
        List<DeployRecord> h = new ArrayList<>(app.history());
        DeployRecord last = h.remove(h.size() - 1);
        h.add(last.ended(now, DeployRecord.Outcome.ROLLED_BACK, reason));
        AppSpec back = r.fromSpec().toBuilder().instances(app.spec().instances()).routing(app.spec().routing()).build();
        AppRecord rec = new AppRecord(back, r.fromRelease(), app.stopped(), null, h);
        w.store().saveApp(rec);
        putApp(rec);
        progress.remove(app.name());
        log.warn("app {}: release {} failed, rolling back to {}: {}", app.name(), app.release(), r.fromRelease(), reason);
        emit(new PlatformEvent.DeployFailed(now, app.name(), app.release(), reason, r.fromRelease()));
    }

    private int eligibleNodes(AppSpec spec) {
        return (int) w.nodes().stream()
                .filter(n -> spec.constraints().admits(n.labels()) && !downNodes.contains(n.id())).count();
    }

    /** The cluster as the scheduler sees it: every instance that holds resources counts. */
    private ClusterSnapshot snapshot() {
        List<ClusterSnapshot.NodeState> nodes = new ArrayList<>();
        for (NodeSpec n : w.nodes()) {
            List<ClusterSnapshot.Allocation> there = new ArrayList<>();
            for (Tracked t : instances.onNode(n.id())) {
                AppRecord app = apps.get(t.record().app());
                // A stopped-on-request instance keeps its place (it counts for ALL and per-node
                // limits) but takes no resources.
                boolean held = t.state() == InstanceState.STOPPED && !t.busy;
                Resources r = app == null || held ? Resources.none() : app.spec().resources();
                // An instance of an older release takes resources but does not count as the app on
                // its node, so that the new release can be placed beside it (ALL, uniqueHost).
                String owner = app != null && !t.record().release().equals(app.release())
                        ? t.record().app() + "@" + t.record().release() : t.record().app();
                there.add(new ClusterSnapshot.Allocation(owner, t.id(), r));
            }
            nodes.add(new ClusterSnapshot.NodeState(n, !downNodes.contains(n.id()), there));
        }
        return new ClusterSnapshot(nodes);
    }

    private void respawnDue(Instant now) {
        for (Tracked t : instances.copy()) {
            if (t.respawnAt != null && !t.busy && !now.isBefore(t.respawnAt) && !t.retiring()) {
                t.respawnAt = null;
                t.update(t.record().respawned());
                launch(t);
            }
        }
    }

    /**
     * App-wide restarts go one instance at a time: the next one is stopped only when the one
     * before it is healthy again (or has crashed and is in the respawn back-off).
     */
    private void rollRestarts() {
        Map<String, List<Tracked>> byApp = new TreeMap<>();
        for (Tracked t : instances.all()) {
            if (t.restarting || t.rolling) {
                byApp.computeIfAbsent(t.record().app(), k -> new ArrayList<>()).add(t);
            }
        }
        for (List<Tracked> list : byApp.values()) {
            if (list.stream().anyMatch(t -> t.rolling)) {
                continue;
            }
            for (Tracked next : list) {
                next.restarting = false;
                if (next.live() && next.afterStop == null) { // one not running has nothing to restart
                    next.rolling = true;
                    stop(next, AfterStop.RESTART, "rolling restart");
                    break;
                }
            }
        }
    }

    // ======================================================================================
    // Backend operations: run on workers, results posted back to the loop.
    // ======================================================================================

    private void launch(Tracked t) {
        AppRecord app = apps.get(t.record().app());
        if (app == null) {
            return;
        }
        touched.mark(app.name());
        t.busy = true;
        t.exitDuringStart = null;
        t.provedHealthy = false;
        t.readyAt = null;
        t.runningSince = null;
        t.lastProbe = null;
        t.probeFailures = 0;
        t.update(t.record().withState(InstanceState.STARTING));
        emit(new PlatformEvent.InstanceStarting(w.clock().instant(), app.name(), t.id(), t.record().node()));
        LaunchRequest req = new LaunchRequest(t.id(), t.record().node(), app.spec(), t.record().release());
        AppSpec spec = app.spec();
        workers.execute(() -> {
            try {
                RunningInstance ri = w.backend().start(req);
                post(() -> onStarted(t, ri, spec));
            } catch (Throwable e) {
                log.warn("instance {} of app {} failed to start: {}", t.id(), spec.name(), e.toString());
                post(() -> onStartFailed(t, e));
            }
        });
    }

    private void onStarted(Tracked t, RunningInstance ri, AppSpec spec) {
        t.busy = false;
        if (!instances.holds(t)) {
            return;
        }
        touched.mark(t.record().app());
        emit(new PlatformEvent.InstanceStarted(w.clock().instant(), t.record().app(), t.id(), ri.node(), ri.endpoint(),
                ri.handle()));
        log.info("instance {} of app {} started on node {} (handle {}, endpoint {})", t.id(), t.record().app(), ri.node(),
                ri.handle(), ri.endpoint());
        becameRunning(t, ri, spec);
        if (t.afterStop != null) {
            AfterStop then = t.afterStop;
            t.afterStop = null;
            stop(t, then, t.stopReason);
        } else if (t.exitDuringStart != null && t.exitDuringStart.handle().equals(ri.handle())) {
            onExited(t.id(), t.exitDuringStart.handle(), t.exitDuringStart.exit());
        }
        t.exitDuringStart = null;
        pass();
    }

    /**
     * Its process runs. With an endpoint it stays RUNNING, unrouted and uncounted, until it is
     * ready ({@link Readiness}: a connection accepted, or its health check passed); without one it
     * is ready at once.
     */
    private void becameRunning(Tracked t, RunningInstance ri, AppSpec spec) {
        boolean gated = ri.endpoint() != null;
        Instant now = w.clock().instant();
        if (ri.startedAt().isAfter(now)) {
            // a start time in the future (a skewed clock, a bogus pid file) would stretch the grace period without end
            ri = new RunningInstance(ri.instanceId(), ri.app(), ri.release(), ri.node(), ri.endpoint(), ri.handle(), now);
        }
        t.update(t.record().started(ri, gated ? InstanceState.RUNNING : InstanceState.HEALTHY));
        t.runningSince = now;
        if (gated) {
            prober.watch(t.id(), ri.handle(), ri.endpoint(), spec.healthCheck());
        } else {
            t.healthySince = now;
            t.readyAt = now;
            t.rolling = false;
            emit(new PlatformEvent.InstanceHealthy(t.healthySince, t.record().app(), t.id()));
        }
    }

    private void onStartFailed(Tracked t, Throwable e) {
        t.busy = false;
        if (!instances.holds(t)) {
            return;
        }
        touched.mark(t.record().app());
        Instant now = w.clock().instant();
        emit(new PlatformEvent.InstanceStartFailed(now, t.record().app(), t.id(), e.getMessage()));
        rolloutFailure(t, "start failed: " + e.getMessage());
        if (t.afterStop != null) {
            finishStop(t);
        } else {
            crashed(t, new ExitInfo(ExitInfo.UNKNOWN, now, "start failed: " + e.getMessage()), true);
        }
        pass();
    }

    /** Asks the backend to stop {@code t}; what happens next is {@code then}. */
    private void stop(Tracked t, AfterStop then, String reason) {
        if (t.afterStop == AfterStop.REMOVE && then != AfterStop.REMOVE) {
            return; // already leaving for good
        }
        t.afterStop = then;
        t.stopReason = reason;
        t.respawnAt = null;
        touched.mark(t.record().app());
        if (t.busy) {
            return; // the start or stop in flight finishes first; onStarted comes back here
        }
        prober.unwatch(t.id());
        if (!t.live() || t.record().handle() == null) {
            finishStop(t);
            return;
        }
        log.info("stopping instance {} of app {}: {}", t.id(), t.record().app(), reason);
        t.busy = true;
        boolean routed = routed(t);
        t.update(t.record().withState(InstanceState.STOPPING));
        if (routed) {
            // Drain first: the next route() takes it out of the table, and the backend stop waits
            // until the router has applied that table, so no new request reaches a dying process.
            t.drainAfter = Tracked.DRAIN_PENDING;
            passSoon();
            return;
        }
        stopInBackend(t);
    }

    /** Whether the router may still send requests to {@code t}. */
    private boolean routed(Tracked t) {
        if (w.router() == null || t.record().endpoint() == null) {
            return false;
        }
        if (appliedSeq < tableSeq || lastTable == null) {
            return true; // a table in flight, or the one an adopted proxy still serves, may hold it
        }
        return lastTable.routes().values().stream()
                .anyMatch(r -> r.app().equals(t.record().app()) && r.endpoints().contains(t.record().endpoint()));
    }

    /** Stops the drained instances whose removal the router has applied. */
    private void stopDrained() {
        for (Tracked t : instances.copy()) {
            if (t.drainAfter > 0 && appliedSeq >= t.drainAfter) {
                t.drainAfter = 0;
                stopInBackend(t);
            }
        }
    }

    private void stopInBackend(Tracked t) {
        Duration grace = w.stopGrace();
        workers.execute(() -> {
            try {
                w.backend().stop(t.id(), grace);
            } catch (Throwable e) {
                log.warn("stopping instance {} failed: {}", t.id(), e.toString());
            }
            post(() -> {
                t.busy = false;
                if (!instances.holds(t)) {
                    return; // lost with its node meanwhile: nothing follows from this stop
                }
                finishStop(t);
                pass();
            });
        });
    }

    private void finishStop(Tracked t) {
        AfterStop then = t.afterStop == null ? AfterStop.HOLD : t.afterStop;
        t.afterStop = null;
        touched.mark(t.record().app());
        Instant now = w.clock().instant();
        boolean wasLive = t.record().handle() != null;
        InstanceRecord r = t.record();
        t.update(new InstanceRecord(t.id(), r.app(), r.release(), r.node(), InstanceState.STOPPED, null, null, r.restarts(),
                r.startedAt(), r.lastExit()));
        t.healthySince = null;
        if (wasLive) {
            emit(new PlatformEvent.InstanceStopped(now, t.record().app(), t.id()));
        }
        switch (then) {
            case HOLD -> {
                t.restarting = false;
                t.rolling = false;
            }
            case REMOVE -> forget(t, now);
            case RESTART -> launch(t);
            case REPLACE -> crashed(t, new ExitInfo(ExitInfo.UNKNOWN, now, t.stopReason), true);
        }
    }

    // ======================================================================================
    // Events from backends and probes.
    // ======================================================================================

    private void onExited(String id, String handle, ExitInfo exit) {
        Tracked t = instances.get(id);
        if (t == null) {
            log.debug("exit of unknown instance {} ignored", id);
            return;
        }
        touched.mark(t.record().app());
        if (t.record().handle() != null && !t.record().handle().equals(handle)) {
            log.debug("late exit of an earlier process {} of instance {} ignored", handle, id);
            return;
        }
        if (t.afterStop != null && t.state() == InstanceState.STOPPING) {
            return; // the stop we asked for
        }
        if (t.state() == InstanceState.STARTING && t.busy) {
            t.exitDuringStart = new Tracked.EarlyExit(handle, exit); // matched against the started process
            return;
        }
        if (!t.live()) {
            return;
        }
        log.warn("instance {} of app {} exited: {}", id, t.record().app(), exit.reason());
        emit(new PlatformEvent.InstanceExited(exit.at(), t.record().app(), id, exit));
        rolloutFailure(t, "exited: " + exit.reason());
        prober.unwatch(id);
        crashed(t, exit, true);
        pass();
    }

    /** A dead instance: record the exit and schedule its respawn after the back-off. */
    private void crashed(Tracked t, ExitInfo exit, boolean countFailure) {
        AppRecord app = apps.get(t.record().app());
        Instant now = w.clock().instant();
        t.update(t.record().exited(exit, InstanceState.EXITED));
        t.rolling = false;
        touched.mark(t.record().app());
        if (app == null || app.stopped()) {
            return;
        }
        if (!t.record().release().equals(app.release())) {
            // Its spec is gone: the new release replaces it rather than a respawn.
            forget(t, now);
            return;
        }
        Duration delay = RespawnPolicy.delay(t, app.spec().restartPolicy(), now, countFailure);
        t.healthySince = null;
        t.readyAt = null;
        log.info("instance {} of app {} will respawn in {} (restart {})", t.id(), app.name(), delay,
                t.record().restarts() + 1);
        emit(new PlatformEvent.InstanceRespawning(now, app.name(), t.id(), t.record().restarts() + 1, delay));
        t.respawnAt = Timing.plus(now, delay);
        if (delay.isZero() && !t.busy) {
            // after a good run: start it now, before any pass or router update (the dead endpoint
            // leaves the router in parallel, in the pass that follows)
            t.respawnAt = null;
            t.update(t.record().respawned());
            launch(t);
        }
    }

    private void onProbe(HealthProber.Result r) {
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
                emit(new PlatformEvent.InstanceHealthy(now, app.name(), t.id()));
                pass();
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
                emit(new PlatformEvent.InstanceUnhealthy(now, app.name(), t.id(), r.detail()));
            }
        }
        if (replace) {
            String why = "unhealthy: " + t.probeFailures + " failed checks in a row (" + r.detail() + ")";
            log.warn("instance {} of app {} {}; replacing it", t.id(), app.name(), why);
            emit(new PlatformEvent.InstanceUnhealthy(now, app.name(), t.id(), why + "; replacing it"));
            rolloutFailure(t, why);
            stop(t, AfterStop.REPLACE, why);
        }
        pass();
    }

    /** A probe of {@code t}, never ready yet, failed: past its readiness timeout it is a failed start. */
    private void notReady(Tracked t, AppRecord app, HealthCheck hc, Instant now) {
        Duration timeout = Readiness.timeout(hc, w.readinessTimeout());
        if (!Readiness.givesUp(t, app, timeout, now)) {
            return;
        }
        String why = Readiness.neverReady(t, hc, timeout);
        log.warn("instance {} of app {} {}; restarting it as a failed start", t.id(), app.name(), why);
        emit(new PlatformEvent.InstanceUnhealthy(now, app.name(), t.id(), why + "; replacing it"));
        stop(t, AfterStop.REPLACE, why);
        pass();
    }

    // ======================================================================================
    // Routing, persistence, publication, timers.
    // ======================================================================================

    private void route() {
        if (w.router() == null) {
            return;
        }
        Map<String, RoutingTable.Route> routes = new TreeMap<>();
        Set<String> routedApps = new HashSet<>();
        for (AppRecord app : apps.values()) {
            if (app.spec().routing().domains().isEmpty()) {
                continue;
            }
            List<Endpoint> healthy = new ArrayList<>(instances.ofApp(app.name()).stream()
                    .filter(t -> t.state() == InstanceState.HEALTHY && t.record().endpoint() != null && t.afterStop == null)
                    .map(t -> t.record().endpoint()).toList());
            if (!app.stopped()) {
                routedApps.add(app.name());
                int wanted = app.spec().instances().all() ? eligibleNodes(app.spec()) : app.spec().instances().count();
                lost.routed(app.name(), healthy.size(), wanted).stream().filter(e -> !healthy.contains(e)).forEach(healthy::add);
            }
            boolean noCode = awaitingPush(app.spec()) && healthy.isEmpty();
            for (String d : app.spec().routing().domains()) {
                routes.put(d, noCode ? RoutingTable.Route.notDeployed(app.name(), app.spec().routing())
                        : RoutingTable.Route.of(app.name(), app.spec().routing(), healthy));
            }
        }
        lost.retain(routedApps);
        RoutingTable table = new RoutingTable(routes);
        if (!table.equals(lastTable)) {
            lastTable = table;
            long seq = ++tableSeq;
            routerThread.execute(() -> {
                try {
                    w.router().apply(table);
                    post(() -> {
                        if (seq > appliedSeq) {
                            appliedTable = table;
                        }
                        applied(seq);
                        if (!progress.isEmpty()) {
                            passSoon(); // a rollout waiting for its endpoints to be routed ends now
                        }
                    });
                } catch (RuntimeException e) {
                    log.error("router rejected the new table; the last good one keeps serving: {}", e.getMessage(), e);
                    post(() -> {
                        if (table.equals(lastTable)) {
                            lastTable = null; // the next pass tries again
                        }
                        applied(seq); // draining instances are stopped anyway: they cannot wait forever
                    });
                }
            });
        }
        for (Tracked t : instances.all()) {
            if (t.drainAfter == Tracked.DRAIN_PENDING) {
                t.drainAfter = tableSeq; // the table just submitted (or the last one) leaves it out
            }
        }
        lost.submitted(tableSeq);
        stopDrained();
    }

    private void applied(long seq) {
        appliedSeq = Math.max(appliedSeq, seq);
        lost.applied(appliedSeq);
        stopDrained();
    }

    /** Runs a pass soon on the loop thread, once however often it is asked for. */
    private void passSoon() {
        if (!passQueued) {
            passQueued = true;
            post(this::pass);
        }
    }

    private void publish() {
        Set<String> changed = instances.takeChanged();
        if (!changed.isEmpty()) {
            StateChanges.Builder batch = StateChanges.builder();
            for (String id : changed) {
                Tracked t = instances.get(id);
                if (t == null) {
                    batch.deleteInstance(id);
                } else {
                    batch.saveInstance(t.record());
                }
            }
            try {
                w.store().write(batch.build());
            } catch (RuntimeException e) {
                instances.changedAgain(changed);
                log.error("cannot save {} instance record(s); will retry: {}", changed.size(), e.getMessage(), e);
            }
        }
        refreshView();
        if (!idleWaiters.isEmpty() && instances.all().stream().noneMatch(t -> t.live() || t.busy)) {
            idleWaiters.forEach(f -> f.complete(null));
            idleWaiters.clear();
        }
    }

    /** Publishes the loop's state to readers. */
    private void refreshView() {
        view = new View(apps, records());
    }

    private List<InstanceRecord> records() {
        return instances.all().stream().map(t -> t.record()).toList();
    }

    private void scheduleWakeUp() {
        Instant next = java.util.stream.Stream.concat(
                        instances.all().stream().map(t -> t.respawnAt),
                        apps.values().stream().map(a -> a.rollout() == null ? null : a.rollout().deadline()))
                .filter(Objects::nonNull).min(Comparator.naturalOrder()).orElse(null);
        if (next == null || next.equals(wakeUpAt)) {
            return;
        }
        if (wakeUp != null) {
            wakeUp.cancel(false);
        }
        wakeUpAt = next;
        long delay = Timing.millisUntil(w.clock().instant(), next);
        wakeUp = loop.schedule(() -> safely(() -> {
            wakeUpAt = null;
            pass();
        }), delay, TimeUnit.MILLISECONDS);
    }

    private void emit(PlatformEvent e) {
        outbox.add(e);
    }

    /**
     * Ends every loop task: a listener told of an event must find its effect in {@link #view()},
     * so the view is refreshed before the task's events go out.
     */
    private void flushEvents() {
        if (!outbox.isEmpty()) {
            refreshView();
            outbox.forEach(w.events()::publish);
            outbox.clear();
        }
    }

    /** Runs {@code task} on the loop. */
    private void post(Runnable task) {
        if (!closed) {
            loop.execute(() -> safely(task));
        }
    }

    private void safely(Runnable task) {
        try {
            task.run();
        } catch (Throwable e) {
            // Never let one task end the loop (a scheduled task that throws is never run again).
            log.error("control loop task failed: {}", e.toString(), e);
        } finally {
            flushEvents();
        }
    }

    /** Runs {@code task} on the loop and waits for its result, rethrowing its exception. */
    private <T> T call(Callable<T> task) {
        if (closed) {
            throw new IllegalStateException("the platform is closed");
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            } finally {
                flushEvents();
            }
        });
        return join(f, () -> "control loop call");
    }

    private static <T> T join(CompletableFuture<T> f, Supplier<String> what) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BerthException("interrupted during " + what.get(), e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new BerthException(what.get() + " failed: " + c, c);
        }
    }

    /** Stops the loop, probes and workers; instances keep running. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            call(() -> {
                if (recovered) {
                    publish(); // a loop whose start failed saves nothing: a refused start changes nothing on disk
                }
                return null;
            });
        } catch (RuntimeException e) {
            log.warn("final save failed: {}", e.getMessage());
        }
        closed = true;
        prober.close();
        loop.shutdownNow();
        workers.shutdown();
        routerThread.shutdown();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
            routerThread.awaitTermination(10, TimeUnit.SECONDS);
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
