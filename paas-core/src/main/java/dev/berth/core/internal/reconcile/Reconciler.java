// The one control loop: its threads, its pass, what it publishes; the work itself is done by its rooms.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.DeployPlan;
import dev.berth.api.PlatformStats;
import dev.berth.api.Instances;
import dev.berth.api.NodeSpec;
import dev.berth.spi.PlacementRequest;
import dev.berth.api.Routing;
import dev.berth.core.internal.health.HealthProber;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
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
 * <p>This class owns the threads, the pass and what is published (saved records, the view,
 * events); the work is done by rooms with one job each, all sharing the {@link LoopState}:
 * {@link Commands} (the API), {@link Convergence} (what each pass decides), {@link Actuator}
 * (backend starts and stops, exits), {@link HealthGate} (probe results), {@link Rollouts},
 * {@link RoutingSync}, {@link NodeLoss} and {@link Recovery}.
 *
 * <p>Thread-safe: public methods only post work to the loop; reads come from an immutable
 * {@link View} published after every pass.
 */
public final class Reconciler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    private final Wiring w;
    private final LoopThreads threads;
    private final ScheduledExecutorService loop;
    private final ExecutorService workers;
    private final HealthProber prober;
    private final LoopState state;
    private final Commands commands;
    private final Convergence convergence;
    private final Actuator actuator;
    private final HealthGate healthGate;
    private final Rollouts rollouts;
    private final RoutingSync routing;
    private final NodeLoss nodeLoss;
    private final Recovery recovery;
    private final Planner planner;
    private final Publication publication;

    /** Set once recovery has completed: only then may the loop's state be saved over the stored one. */
    private boolean recovered;
    private boolean passQueued;
    private final WakeUp wakeUp;
    private volatile boolean closed;

    public Reconciler(Wiring wiring) {
        this(wiring, LoopThreads.standard());
    }

    /** A loop on the given threads (tests step it; see {@link LoopThreads}). */
    Reconciler(Wiring wiring, LoopThreads threads) {
        this.w = wiring;
        this.threads = threads;
        Set<String> nodeIds = wiring.nodes().stream().map(NodeSpec::id).collect(Collectors.toUnmodifiableSet());
        NodeWatch nodeWatch = new NodeWatch(wiring.nodeDownAfter(), nodeIds::contains);
        this.state = new LoopState(wiring, nodeIds, nodeWatch.down());
        this.loop = threads.loop();
        this.workers = threads.workers();
        LoopControl control = new Control();
        this.prober = threads.prober(r -> post(() -> healthGate().onProbe(r)));
        LostRoutes lost = new LostRoutes();
        this.rollouts = new Rollouts(state, control, () -> routing().appliedTable());
        this.routing = new RoutingSync(state, control, threads.router(), threads.ticker(), lost, t -> actuator().stopInBackend(t), rollouts::recheck);
        this.actuator = new Actuator(state, control, prober, routing, rollouts);
        this.healthGate = new HealthGate(state, control, actuator, rollouts);
        this.convergence = new Convergence(state, control, actuator);
        this.nodeLoss = new NodeLoss(state, control, nodeWatch, lost, prober, () -> closed);
        this.recovery = new Recovery(state, control, actuator, prober);
        this.commands = new Commands(state, control, actuator, rollouts);
        this.planner = new Planner(state, control, convergence);
        this.publication = new Publication(state, threads.stateWriter(),
                (task, delay) -> loop.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS));
        this.wakeUp = new WakeUp(loop, wiring.clock());
    }

    // Rooms built after the lambdas that need them (the prober, the routing sync's stops).
    private HealthGate healthGate() {
        return healthGate;
    }

    private RoutingSync routing() {
        return routing;
    }

    private Actuator actuator() {
        return actuator;
    }

    /** Loads state and adopts running instances; returns when done, rethrowing any error. */
    public void start() {
        w.backend().onExit((id, handle, exit) -> post(() -> actuator.onExited(id, handle, exit)));
        call(() -> {
            recovery.recover();
            recovered = true;
            return null;
        });
        loop.scheduleWithFixedDelay(() -> safely(this::resync), w.resyncInterval().toMillis(),
                w.resyncInterval().toMillis(), TimeUnit.MILLISECONDS);
        // Node liveness is read from the backend's last checks (no round trip), 20 times per threshold
        // and at least every 250 ms: a node is declared down at most that long after its threshold.
        long every = Math.max(50, Math.min(250, w.nodeDownAfter().toMillis() / 20));
        loop.scheduleWithFixedDelay(() -> safely(nodeLoss::watchNodes), every, every, TimeUnit.MILLISECONDS);
    }

    // ---- commands: each runs on the loop (see Commands) ----

    /** Deploys (or updates) an app; returns its release. */
    public String deploy(AppSpec spec) {
        return commands.deploy(spec);
    }

    /** What deploying {@code spec} would do now, changing nothing ({@link Planner}). */
    public DeployPlan plan(AppSpec spec) {
        return call(() -> planner.plan(spec, w.clock().instant()));
    }

    /** Goes back to the newest earlier release that rolled out successfully; returns that release. */
    public String rollback(String app) {
        return commands.rollback(app);
    }

    /** Changes an app's routing in place: the router follows at once, the instances keep running. */
    public void reroute(String app, UnaryOperator<Routing> change) {
        commands.reroute(app, change);
    }

    /** Changes an app's instance count. */
    public void scale(String app, Instances count) {
        commands.scale(app, count);
    }

    /** Stops ({@code stopped = true}) or starts an app again, keeping its spec. */
    public void setStopped(String app, boolean stopped) {
        commands.setStopped(app, stopped);
    }

    /** Stops every instance of an app and forgets it. */
    public void remove(String app) {
        commands.remove(app);
    }

    /** Restarts an app's instances one at a time, each waiting for the previous one to be healthy. */
    public void restartApp(String app) {
        commands.restartApp(app);
    }

    /** Stops one instance and keeps it stopped. */
    public void stopInstance(String id) {
        commands.stopInstance(id);
    }

    /** Restarts one instance (starts it if it was stopped). */
    public void restartInstance(String id) {
        commands.restartInstance(id);
    }

    /** Stops one instance and lowers its app's count by one, so that nothing replaces it. */
    public void removeInstance(String id) {
        commands.removeInstance(id);
    }

    /** Kills one instance; the loop then sees a crash and respawns it. */
    public void killInstance(String id) {
        commands.killInstance(id);
    }

    /** Stops every app (specs kept, marked stopped) and returns when no instance runs. */
    public void stopAll(Duration timeout) {
        commands.stopAll(timeout);
    }

    /** The loop's placement and router-apply timings so far; any thread. */
    public PlatformStats stats() {
        return new PlatformStats(state.placements.snapshot(), state.routerApplies.snapshot());
    }

    public View view() {
        return publication.view();
    }

    // ---- the pass ----

    /** The periodic resync: a pass over every app, which heals whatever a missed mark left behind. */
    private void resync() {
        state.markAll();
        pass();
    }

    private void pass() {
        passQueued = false;
        if (closed) {
            return;
        }
        Instant now = w.clock().instant();
        List<PlacementRequest> requests = new ArrayList<>();
        List<AppRecord> requesters = new ArrayList<>();
        convergence.markDueRespawns(now);
        List<String> dirty = state.touched.take(state.apps.keySet(), state.lastUnplaced.keySet(), state.instances.appNames());
        for (String name : dirty) {
            AppRecord app = state.apps.get(name);
            if (app == null || app.stopped()) {
                convergence.retire(name, app);
            } else {
                convergence.converge(app, now, requests, requesters);
            }
        }
        if (!requests.isEmpty()) {
            convergence.placeAndStart(requests, requesters);
        }
        for (String name : dirty) {
            convergence.rollRestarts(name);
        }
        rollouts.trackRollouts(now, dirty);
        if (state.touched.sweeping()) {
            passSoon(); // the rest of a sweep, after whatever else is queued
        }
        routing.route();
        publishIfRecovered(false);
        scheduleWakeUp();
    }

    /** Runs a pass soon on the loop thread, once however often it is asked for. */
    private void passSoon() {
        if (!passQueued) {
            passQueued = true;
            post(this::pass);
        }
    }

    /**
     * Hands what changed to the state writer, publishes the view, completes the waits of stopAll;
     * returns a future completed once the app records among it are durable.
     */
    private CompletableFuture<Void> publish(boolean acknowledged) {
        CompletableFuture<Void> saved = publication.publish(acknowledged);
        commands.settleIdleWaiters();
        return saved;
    }

    /**
     * {@link #publish} once recovery has completed; before, only the view is refreshed (a loop
     * whose start fails saves nothing: a refused start changes nothing on disk).
     */
    private CompletableFuture<Void> publishIfRecovered(boolean acknowledged) {
        if (recovered) {
            return publish(acknowledged);
        }
        refreshView();
        return CompletableFuture.completedFuture(null);
    }

    private void refreshView() {
        publication.refreshView();
    }

    private void scheduleWakeUp() {
        wakeUp.at(state.due.next(state.instances::holds, state.apps), () -> safely(this::pass));
    }

    // ---- the loop thread ----

    /**
     * Ends every loop task: a listener told of an event must find its effect in {@link #view()},
     * so the view is refreshed before the task's events go out.
     */
    private void flushEvents() {
        if (!state.outbox.isEmpty()) {
            refreshView();
            state.outbox.forEach(w.events()::publish);
            state.outbox.clear();
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
            T result;
            try {
                result = task.call();
            } catch (Throwable e) {
                flushEvents();
                f.completeExceptionally(e);
                return;
            }
            // The caller goes on reading the view: it shows the command's effect when the call
            // returns, and the desired state the command changed is durable by then. The loop
            // does not wait for the disk: the caller does.
            try {
                CompletableFuture<Void> saved = publishIfRecovered(true);
                flushEvents();
                saved.whenComplete((ok, failed) -> {
                    if (failed != null) {
                        f.completeExceptionally(failed);
                    } else {
                        f.complete(result);
                    }
                });
            } catch (RuntimeException | Error e) {
                f.completeExceptionally(e);
                throw e;
            }
        });
        return threads.join(f, "control loop call");
    }

    /** The loop as the rooms see it. */
    private final class Control implements LoopControl {
        @Override
        public void pass() {
            Reconciler.this.pass();
        }

        @Override
        public void passSoon() {
            Reconciler.this.passSoon();
        }

        @Override
        public void passAfter(Duration delay) {
            loop.schedule(() -> safely(Reconciler.this::passSoon), delay.toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        public void post(Runnable task) {
            Reconciler.this.post(task);
        }

        @Override
        public <T> T call(Callable<T> task) {
            return Reconciler.this.call(task);
        }

        @Override
        public Executor workers() {
            return workers;
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
                    publish(false); // a loop whose start failed saves nothing: a refused start changes nothing on disk
                }
                return null;
            });
            threads.join(publication.lastWritten(), "the last records' save");
        } catch (RuntimeException e) {
            log.warn("final save failed: {}", e.getMessage());
        }
        closed = true;
        prober.close();
        threads.shutdown();
    }
}
