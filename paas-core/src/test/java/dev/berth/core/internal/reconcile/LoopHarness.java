// One control loop over the fake backend, a recording router and a memory store, stepped by the test on a manual clock.
package dev.berth.core.internal.reconcile;

import dev.berth.api.AppSpec;
import dev.berth.api.Endpoint;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.NodeSpec;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.api.RestartPolicy;
import dev.berth.spi.Router;
import dev.berth.api.Routing;
import dev.berth.api.RoutingTable;
import dev.berth.api.Traffic;
import dev.berth.core.Schedulers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** One control loop over the fake backend, a recording router and a memory store, on {@link SteppedThreads}, for the loop's unit tests. */
final class LoopHarness implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);
    static final String DOMAIN = "web.test";
    /** How far a stepped test moves the clock between two looks. */
    private static final Duration TICK = Duration.ofMillis(5);

    final FakeBackend backend = new FakeBackend();
    final MemoryStore store = new MemoryStore();
    final List<PlatformEvent> events = new CopyOnWriteArrayList<>();
    final RecordingRouter router = new RecordingRouter();
    Reconciler loop;
    /** The loop's threads and clock, stepped by the test: tasks, timers, probes and event deliveries run on its thread. */
    private SteppedThreads threads = new SteppedThreads(java.time.Instant.parse("2026-12-06T01:00:00Z"));

    LoopHarness() {
        backend.clock = threads.clock();
        router.clock = threads.clock();
    }

    /** From now on every piece of work the loop measures costs {@code d} ({@link SteppedThreads#workCost}). */
    void workCost(Duration d) {
        threads.workCost(d);
    }

    /** A router that remembers every table it applied, and the set of endpoints it ever routed. */
    static final class RecordingRouter implements Router {
        final List<RoutingTable> applied = new CopyOnWriteArrayList<>();
        /** When each of {@link #applied} was, on {@link #clock}. */
        final List<java.time.Instant> appliedAt = new CopyOnWriteArrayList<>();
        final Set<Endpoint> everRouted = ConcurrentHashMap.newKeySet();
        volatile java.time.Clock clock = java.time.Clock.systemUTC();

        @Override
        public void apply(RoutingTable table) {
            table.routes().values().forEach(r -> everRouted.addAll(r.endpoints()));
            appliedAt.add(clock.instant());
            applied.add(table);
        }

        /** The endpoints of {@code domain} in the last table applied. */
        Set<Endpoint> routed(String domain) {
            if (applied.isEmpty()) {
                return Set.of();
            }
            RoutingTable.Route r = applied.get(applied.size() - 1).routes().get(domain);
            return r == null ? Set.of() : Set.copyOf(r.endpoints());
        }

        @Override
        public Map<String, Traffic> traffic() {
            return Map.of();
        }

        @Override
        public void close() {
        }
    }

    static List<NodeSpec> nodes(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> NodeSpec.of("n" + i, Resources.builder().cpu(4).build())).toList();
    }

    /** An app with a PORT (so an endpoint), routed at {@link #DOMAIN}, no health check. */
    static AppSpec.Builder web(int count, RestartPolicy restart) {
        return AppSpec.builder("web").command("serve").instances(Instances.of(count))
                .resources(Resources.builder().cpu(1).build()).env(AppSpec.PORT, AppSpec.RANDOM_PORT)
                .routing(Routing.of(DOMAIN)).restartPolicy(restart);
    }

    LoopHarness open(List<NodeSpec> nodes, Duration nodeDownAfter) {
        return open(nodes, nodeDownAfter, Wiring.READINESS_TIMEOUT);
    }

    LoopHarness open(List<NodeSpec> nodes, Duration nodeDownAfter, Duration readinessTimeout) {
        if (loop != null) { // the last loop shut its executors down: the next one gets new ones
            threads = threads.next();
            backend.clock = threads.clock();
            router.clock = threads.clock();
        }
        EventBus bus = new EventBus(Runnable::run); // delivered on the test's thread, as the loop publishes
        bus.add(events::add);
        Wiring w = new Wiring(nodes, backend, router, store, Schedulers.spread(), bus, threads.clock(),
                Duration.ofMillis(200), Duration.ofSeconds(1), 10, nodeDownAfter, readinessTimeout);
        loop = new Reconciler(w, threads);
        loop.start();
        threads.runUntilIdle();
        return this;
    }

    /** From now on the router's tables wait, unapplied, until {@link #releaseRouter} (a router that takes its time). */
    void holdRouter() {
        threads.holdRouter();
    }

    /** The held tables are applied with the next steps. */
    void releaseRouter() {
        threads.releaseRouter();
    }

    /** Runs what is queued, then moves the clock on 5 ms at a time until {@code done} holds; fails after {@link #WAIT} of it. */
    void until(java.util.function.BooleanSupplier done) {
        threads.until(done, TICK, WAIT);
    }

    /** The same as {@link #until}. */
    void eventually(java.util.function.BooleanSupplier done) {
        until(done);
    }

    /** The same as {@link #throughout}: {@code holds} stays true for {@code d} on the loop's clock. */
    void during(Duration d, java.util.function.BooleanSupplier holds) {
        throughout(d, holds);
    }

    /** The loop's time: the manual clock's. */
    java.time.Instant now() {
        return threads.clock().instant();
    }

    /** Moves the clock on by {@code d}, running what falls due. */
    void advance(Duration d) {
        threads.advance(d);
    }

    /** Runs what is queued, without moving the clock. */
    void runUntilIdle() {
        threads.runUntilIdle();
    }

    /** Moves the clock on by {@code d} 5 ms at a time, checking {@code holds} after each. */
    void throughout(Duration d, java.util.function.BooleanSupplier holds) {
        threads.throughout(d, TICK, holds);
    }

    List<InstanceRecord> instances() {
        return loop.view().instancesOf("web");
    }

    List<InstanceRecord> inState(InstanceState s) {
        return instances().stream().filter(r -> r.state() == s).toList();
    }

    InstanceRecord instance(String id) {
        return instances().stream().filter(r -> r.id().equals(id)).findFirst().orElse(null);
    }

    Set<Endpoint> endpointsOf(List<InstanceRecord> records) {
        return records.stream().map(InstanceRecord::endpoint).collect(Collectors.toSet());
    }

    <T extends PlatformEvent> List<T> events(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Override
    public void close() {
        if (loop != null) {
            loop.close();
        }
        backend.close();
    }
}
