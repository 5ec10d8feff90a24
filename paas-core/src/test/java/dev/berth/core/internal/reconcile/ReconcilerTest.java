// The control loop's decisions, stepped on a manual clock over the fake backend and a memory store.
package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.DeployRecord;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The control loop's decisions, against an in-memory backend and store, on {@link SteppedThreads}:
 * every task, timer and event delivery runs on the test's thread when the test steps the loop, on a
 * clock only the test moves, so each test is a sequence of exact steps with no waiting. A router
 * that takes its time is a router whose tasks the test holds ({@link SteppedThreads#holdRouter}).
 */
class ReconcilerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration TICK = Duration.ofMillis(10);
    private final FakeBackend backend = new FakeBackend();
    private final MemoryStore store = new MemoryStore();
    private final List<PlatformEvent> events = new CopyOnWriteArrayList<>();
    private SteppedThreads threads = new SteppedThreads(Instant.parse("2026-12-06T01:00:00Z"));
    private Reconciler loop;

    private Reconciler open(List<NodeSpec> nodes) {
        return open(nodes, Duration.ofSeconds(30));
    }

    /** A loop whose node watch declares a node down after {@code nodeDownAfter} of silence. */
    private Reconciler open(List<NodeSpec> nodes, Duration nodeDownAfter) {
        return open(nodes, nodeDownAfter, null);
    }

    /** A loop with {@code router} (or none). */
    private Reconciler open(List<NodeSpec> nodes, Duration nodeDownAfter, Router router) {
        if (loop != null) { // a restart: the closed loop's threads are shut down
            threads = threads.next();
        }
        backend.clock = threads.clock();
        EventBus bus = new EventBus(Runnable::run); // delivered on the test's thread, as the loop publishes
        bus.add(events::add);
        Reconciler r = new Reconciler(new Wiring(nodes, backend, router, store, Schedulers.spread(), bus,
                threads.clock(), Duration.ofMillis(200), Duration.ofSeconds(1), 10, nodeDownAfter), threads);
        r.start();
        threads.runUntilIdle();
        return r;
    }

    private void until(BooleanSupplier done) {
        threads.until(done, TICK, WAIT);
    }

    private void throughout(Duration d, BooleanSupplier holds) {
        threads.throughout(d, TICK, holds);
    }

    @AfterEach
    void close() {
        if (loop != null) {
            loop.close();
        }
    }

    private static List<NodeSpec> nodes(int n) {
        return java.util.stream.IntStream.rangeClosed(1, n)
                .mapToObj(i -> NodeSpec.of("n" + i, Resources.builder().cpu(4).build())).toList();
    }

    private static AppSpec app(String name, Instances count) {
        return AppSpec.builder(name).command("serve").instances(count).resources(Resources.builder().cpu(1).build())
                .restartPolicy(new RestartPolicy(Duration.ofMillis(100), Duration.ofMillis(400), 2, Duration.ofMinutes(1)))
                .build();
    }

    private List<InstanceRecord> healthy(String app) {
        return loop.view().instancesOf(app).stream().filter(r -> r.state() == InstanceState.HEALTHY).toList();
    }

    @Test
    void placesScalesUpAndDownAndPersistsFirst() {
        loop = open(nodes(2));
        loop.deploy(app("web", Instances.of(3)));
        assertThat(store.apps).containsKey("web");

        until(() -> healthy("web").size() == 3);
        assertThat(healthy("web")).extracting(InstanceRecord::node).contains("n1", "n2");

        loop.scale("web", Instances.of(1));
        until(() -> loop.view().instancesOf("web").size() == 1);
        assertThat(backend.running).hasSize(1);
        until(() -> store.loadInstances().size() == 1); // written off the loop, after the view
    }

    @Test
    void aNodeCutOffLosesItsInstancesToTheOthersAndTheirCopiesStopWhenItHeals() {
        backend.reporting.addAll(List.of("n1", "n2", "n3"));
        loop = open(nodes(3), Duration.ofMillis(400));
        loop.deploy(app("web", Instances.of(4)));
        loop.deploy(app("api", Instances.of(2)));
        until(() -> healthy("web").size() == 4 && healthy("api").size() == 2);
        List<String> onN1 = loop.view().instances().stream().filter(r -> r.node().equals("n1")).map(InstanceRecord::id).toList();
        List<String> elsewhere = loop.view().instances().stream().filter(r -> !r.node().equals("n1"))
                .map(InstanceRecord::id).toList();
        assertThat(onN1).isNotEmpty();

        backend.cutOff.put("n1", threads.clock().instant()); // alive but unreachable: its processes go on

        until(() -> healthy("web").size() == 4 && healthy("api").size() == 2
                && loop.view().instances().stream().noneMatch(r -> r.node().equals("n1")));
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.NodeDown).hasSize(1);
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.InstanceLost)
                .extracting(e -> ((PlatformEvent.InstanceLost) e).instance()).containsExactlyInAnyOrderElementsOf(onN1);
        // nothing else moved: every instance that was elsewhere still runs, untouched
        assertThat(loop.view().instances()).extracting(InstanceRecord::id).containsAll(elsewhere);
        assertThat(backend.stops).isEmpty();
        // the replacements have new ids: the lost ones still run on n1 for now
        assertThat(loop.view().instances()).extracting(InstanceRecord::id).doesNotContainAnyElementsOf(onN1);
        assertThat(backend.running.keySet()).containsAll(onN1);

        backend.cutOff.remove("n1"); // healed

        until(() -> backend.stops.containsAll(onN1));
        assertThat(backend.running.keySet()).doesNotContainAnyElementsOf(onN1);
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.NodeUp).hasSize(1);
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.StaleInstanceStopped).hasSize(onN1.size());
        assertThat(healthy("web")).hasSize(4);
        // n1 takes new instances again (n2 and n3 hold 8 cpus, the apps now ask for 10)
        loop.scale("api", Instances.of(6));
        until(() -> healthy("api").size() == 6);
        assertThat(healthy("api")).extracting(InstanceRecord::node).contains("n1");
    }

    @Test
    void anInstanceStoppedAfterANodesReportWasTakenIsNotTakenForAStaleOne() {
        backend.reporting.add("n1");
        loop = open(nodes(1), Duration.ofMillis(400));
        loop.deploy(app("web", Instances.of(2)));
        until(() -> healthy("web").size() == 2);
        backend.frozen = backend.nodeStatus(); // the heartbeat lags: this report lists both

        loop.scale("web", Instances.of(1));

        until(() -> backend.stops.size() == 1);
        throughout(Duration.ofSeconds(1), () -> backend.stops.size() == 1);
        assertThat(events).noneMatch(e -> e instanceof PlatformEvent.StaleInstanceStopped);
        assertThat(events).noneMatch(e -> e instanceof PlatformEvent.NodeDown);
        backend.frozen = null;
    }

    @Test
    void backendsWithoutNodeLivenessNeverLoseNodes() {
        loop = open(nodes(2), Duration.ofMillis(200));
        loop.deploy(app("web", Instances.of(2)));
        until(() -> healthy("web").size() == 2);
        throughout(Duration.ofMillis(800), () -> healthy("web").size() == 2);
        assertThat(events).noneMatch(e -> e instanceof PlatformEvent.NodeDown || e instanceof PlatformEvent.InstanceLost);
    }

    @Test
    void allMeansOneOnEveryNode() {
        loop = open(nodes(3));
        loop.deploy(app("agent", Instances.ALL));
        until(() -> healthy("agent").size() == 3);
        assertThat(healthy("agent")).extracting(InstanceRecord::node).containsExactlyInAnyOrder("n1", "n2", "n3");
    }

    @Test
    void aCrashIsRespawnedWithGrowingDelays() {
        loop = open(nodes(1));
        loop.deploy(app("web", Instances.of(1)));
        until(() -> healthy("web").size() == 1);

        for (int k = 1; k <= 4; k++) {
            int restarts = k;
            backend.crash("web-1", 1);
            until(() -> healthy("web").size() == 1 && healthy("web").get(0).restarts() == restarts);
        }
        List<Long> delays = events.stream().filter(e -> e instanceof PlatformEvent.InstanceRespawning)
                .map(e -> ((PlatformEvent.InstanceRespawning) e).delay().toMillis()).toList();
        assertThat(delays).containsExactly(100L, 200L, 400L, 400L);
    }

    @Test
    void adoptsWhatIsWantedAndStopsWhatIsNot() {
        store.saveApp(new AppRecord(app("web", Instances.of(1)), "r1", false));
        backend.leftRunning("web-1", "web", "r1", "n1");
        backend.leftRunning("old-1", "old", "r1", "n1");

        loop = open(nodes(1));

        until(() -> !backend.running.containsKey("old-1"));
        assertThat(backend.starts).isEmpty();
        assertThat(healthy("web")).extracting(InstanceRecord::id).containsExactly("web-1");
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.InstanceAdopted).hasSize(1);
    }

    @Test
    void aNewReleaseReplacesTheOldOnceHealthy() {
        loop = open(nodes(2));
        loop.deploy(app("web", Instances.of(2)));
        until(() -> healthy("web").size() == 2);

        String release = loop.deploy(app("web", Instances.of(2)).toBuilder().env("V", "2").build());

        assertThat(release).startsWith("r2-");
        until(() -> loop.view().instancesOf("web").size() == 2
                && healthy("web").stream().allMatch(r -> r.release().equals(release)) && healthy("web").size() == 2);
        assertThat(backend.stops).containsExactlyInAnyOrder("web-1", "web-2");
    }

    @Test
    void aTooBigAppIsReportedNotStarted() {
        loop = open(nodes(2));
        loop.deploy(AppSpec.builder("big").command("x").resources(Resources.builder().cpu(64).build()).build());
        until(() -> events.stream().anyMatch(e -> e instanceof PlatformEvent.InstancesUnplaced));
        assertThat(backend.starts).isEmpty();
        assertThat(loop.view().apps()).containsKey("big");
        assertThat(Map.copyOf(backend.running)).isEmpty();
    }

    /** Lets the loop go through {@code n} resync passes. */
    private void passes(int n) {
        threads.advance(Duration.ofMillis(200L * n));
    }

    @Test
    void aStoppedInstanceStaysStoppedAndHoldsItsPlaceEvenWithAll() {
        loop = open(nodes(2));
        loop.deploy(app("agent", Instances.ALL));
        until(() -> healthy("agent").size() == 2);
        int starts = backend.starts.size();

        loop.stopInstance("agent-1");
        until(() -> loop.view().instancesOf("agent").stream()
                .anyMatch(r -> r.id().equals("agent-1") && r.state() == InstanceState.STOPPED));
        passes(5);

        assertThat(backend.starts).hasSize(starts);
        assertThat(loop.view().instancesOf("agent")).hasSize(2);
        loop.restartInstance("agent-1");
        until(() -> healthy("agent").size() == 2);
        assertThat(backend.starts).hasSize(starts + 1);
    }

    @Test
    void aNewReleaseOfAnAllAppRollsOntoEveryNode() {
        loop = open(nodes(3));
        loop.deploy(app("agent", Instances.ALL));
        until(() -> healthy("agent").size() == 3);

        String r2 = loop.deploy(app("agent", Instances.ALL).toBuilder().env("V", "2").build());

        until(() -> loop.view().instancesOf("agent").size() == 3
                && healthy("agent").stream().allMatch(r -> r.release().equals(r2)) && healthy("agent").size() == 3);
        assertThat(healthy("agent")).extracting(InstanceRecord::node).containsExactlyInAnyOrder("n1", "n2", "n3");
        assertThat(backend.stops).containsExactlyInAnyOrder("agent-1", "agent-2", "agent-3");
    }

    @Test
    void releaseIdsAreNeverReusedAfterARemove() {
        loop = open(nodes(1));
        String first = loop.deploy(app("web", Instances.of(1)));
        assertThat(loop.deploy(app("web", Instances.of(2)))).isEqualTo(first); // only the count changed
        loop.remove("web");
        until(() -> backend.running.isEmpty()); // on a clock that has not moved since the first deploy

        String second = loop.deploy(app("web", Instances.of(1)));

        assertThat(second).startsWith("r1-").isNotEqualTo(first);
        assertThat(loop.deploy(app("web", Instances.of(1)).toBuilder().command("other").build())).startsWith("r2-");
    }

    @Test
    void aLateExitOfAnEarlierProcessIsIgnored() {
        loop = open(nodes(1));
        loop.deploy(app("web", Instances.of(1)));
        until(() -> healthy("web").size() == 1);
        String handle = healthy("web").get(0).handle();

        backend.staleExit("web-1", "999999");
        passes(3);

        assertThat(healthy("web")).singleElement().satisfies(r -> {
            assertThat(r.handle()).isEqualTo(handle);
            assertThat(r.restarts()).isZero();
        });
        assertThat(events).noneMatch(e -> e instanceof PlatformEvent.InstanceExited);
    }

    @Test
    void anAppRestartRestartsEachInstanceOnceOneAtATime() {
        loop = open(nodes(2));
        loop.deploy(app("web", Instances.of(3)));
        until(() -> healthy("web").size() == 3);
        List<String> before = healthy("web").stream().map(InstanceRecord::handle).toList();

        loop.restartApp("web");

        until(() -> healthy("web").size() == 3
                && healthy("web").stream().noneMatch(r -> before.contains(r.handle())));
        assertThat(backend.stops).containsExactlyInAnyOrder("web-1", "web-2", "web-3");
        assertThat(healthy("web")).allSatisfy(r -> assertThat(r.restarts()).isZero());
        // One at a time: every stop is followed by that instance's start before the next stop.
        List<PlatformEvent> order = events.subList(firstStop(), events.size()).stream()
                .filter(e -> e instanceof PlatformEvent.InstanceStopped || e instanceof PlatformEvent.InstanceHealthy).toList();
        assertThat(order).hasSize(6);
        for (int k = 0; k + 1 < order.size(); k += 2) {
            assertThat(order.get(k)).isInstanceOf(PlatformEvent.InstanceStopped.class);
            assertThat(order.get(k + 1)).isInstanceOf(PlatformEvent.InstanceHealthy.class);
            assertThat(order.get(k + 1).app()).isEqualTo("web");
        }
    }

    @Test
    void aRoutedInstanceIsStoppedOnlyAfterTheRouterStoppedSendingToIt() {
        List<RoutingTable> applied = new ArrayList<>();
        Router router = new Router() {
            @Override
            public void apply(RoutingTable table) {
                applied.add(table);
            }

            @Override
            public Map<String, Traffic> traffic() {
                return Map.of();
            }

            @Override
            public void close() {
            }
        };
        loop = open(nodes(1), Duration.ofSeconds(30), router);
        loop.deploy(app("web", Instances.of(2)).toBuilder().env(AppSpec.PORT, AppSpec.RANDOM_PORT)
                .routing(Routing.of("web.test")).build());
        until(() -> !applied.isEmpty() && applied.get(applied.size() - 1).routes().get("web.test").endpoints().size() == 2);

        threads.holdRouter(); // the table that drains an instance waits until the test lets go
        loop.scale("web", Instances.of(1));
        throughout(Duration.ofMillis(600), backend.stops::isEmpty); // three resync passes: nothing may stop it meanwhile

        assertThat(loop.view().instancesOf("web")).extracting(InstanceRecord::state).contains(InstanceState.STOPPING);
        threads.releaseRouter();
        until(() -> backend.stops.size() == 1 && loop.view().instancesOf("web").size() == 1);
        assertThat(applied.get(applied.size() - 1).routes().get("web.test").endpoints()).singleElement()
                .isEqualTo(loop.view().instancesOf("web").get(0).endpoint());
    }

    @Test
    void aRolloutReportsItsProgressAndEndsInTheHistory() {
        loop = open(nodes(2));
        String r1 = loop.deploy(app("web", Instances.of(2)));
        until(() -> healthy("web").size() == 2);
        events.clear();

        String r2 = loop.deploy(app("web", Instances.of(2)).toBuilder().env("V", "2").build());

        until(() -> events.stream().anyMatch(e -> e instanceof PlatformEvent.DeploySucceeded));
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.DeployStarted).singleElement()
                .isEqualTo(events.stream().filter(e -> e instanceof PlatformEvent.DeployStarted).findFirst().get())
                .satisfies(e -> assertThat(((PlatformEvent.DeployStarted) e).fromRelease()).isEqualTo(r1));
        // one report per pass that saw a change: instances that got healthy between two passes are reported together
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.DeployProgress)
                .extracting(e -> ((PlatformEvent.DeployProgress) e).healthy()).startsWith(0).endsWith(2).isSorted();
        assertThat(events).anyMatch(e -> e instanceof PlatformEvent.TrafficSwitched);
        AppRecord rec = loop.view().apps().get("web");
        assertThat(rec.rollout()).isNull();
        assertThat(rec.history()).extracting(DeployRecord::release, DeployRecord::outcome).containsExactly(
                tuple(r1, DeployRecord.Outcome.SUCCEEDED), tuple(r2, DeployRecord.Outcome.SUCCEEDED));
        assertThat(store.apps.get("web").history()).hasSize(2); // persisted
    }

    @Test
    void aReleaseThatCannotStartIsRolledBackAndTheOldOneNeverStops() {
        loop = open(nodes(2));
        String r1 = loop.deploy(app("web", Instances.of(2)));
        until(() -> healthy("web").size() == 2);
        List<String> before = healthy("web").stream().map(InstanceRecord::handle).toList();

        String r2 = loop.deploy(app("web", Instances.of(2)).toBuilder().env(FakeBackend.BROKEN, "yes").build());

        until(() -> events.stream().anyMatch(e -> e instanceof PlatformEvent.DeployFailed));
        PlatformEvent.DeployFailed failed = (PlatformEvent.DeployFailed) events.stream()
                .filter(e -> e instanceof PlatformEvent.DeployFailed).findFirst().orElseThrow();
        assertThat(failed.release()).isEqualTo(r2);
        assertThat(failed.rolledBackTo()).isEqualTo(r1);
        // it fails in the first pass after the third failure: failures that came in together all count
        java.util.regex.Matcher times = java.util.regex.Pattern.compile("failed (\\d+) times").matcher(failed.reason());
        assertThat(times.find()).as(failed.reason()).isTrue();
        assertThat(Integer.parseInt(times.group(1))).isBetween(Rollouts.ROLLOUT_FAILURES, 4);
        assertThat(failed.reason()).contains("setup failed");
        until(() -> loop.view().instancesOf("web").size() == 2);
        assertThat(loop.view().apps().get("web").release()).isEqualTo(r1);
        assertThat(healthy("web")).extracting(InstanceRecord::handle).containsExactlyInAnyOrderElementsOf(before);
        assertThat(backend.stops).isEmpty(); // the old release served throughout
        assertThat(loop.view().apps().get("web").history()).extracting(DeployRecord::outcome)
                .containsExactly(DeployRecord.Outcome.SUCCEEDED, DeployRecord.Outcome.ROLLED_BACK);
    }

    @Test
    void rollbackReturnsToThePreviousGoodReleaseThroughARollout() {
        loop = open(nodes(2));
        String r1 = loop.deploy(app("web", Instances.of(2)));
        until(() -> healthy("web").size() == 2);
        String r2 = loop.deploy(app("web", Instances.of(2)).toBuilder().env("V", "2").build());
        until(() -> healthy("web").size() == 2
                && healthy("web").stream().allMatch(r -> r.release().equals(r2)) && loop.view().instancesOf("web").size() == 2);

        assertThat(loop.rollback("web")).isEqualTo(r1);

        until(() -> healthy("web").size() == 2 && loop.view().instancesOf("web").size() == 2
                && healthy("web").stream().allMatch(r -> r.release().equals(r1)));
        assertThat(loop.view().apps().get("web").spec().env()).doesNotContainKey("V");
        assertThat(loop.view().apps().get("web").history()).extracting(DeployRecord::release).containsExactly(r1, r2, r1);
    }

    @Test
    void aRolloutInterruptedByARestartGoesOnAndPassesItsDeadlineCheck() {
        loop = open(nodes(2));
        loop.deploy(app("web", Instances.of(2)));
        until(() -> healthy("web").size() == 2);
        String r2 = loop.deploy(app("web", Instances.of(2)).toBuilder().env("V", "2").build());
        loop.close(); // right after the deploy: the rollout is persisted, and most likely not finished

        loop = open(nodes(2));

        until(() -> {
            List<DeployRecord> h = loop.view().apps().get("web").history();
            return h.get(h.size() - 1).outcome() == DeployRecord.Outcome.SUCCEEDED;
        });
        assertThat(healthy("web")).hasSize(2).allMatch(r -> r.release().equals(r2));
        assertThat(loop.view().instancesOf("web")).hasSize(2);
        assertThat(loop.view().apps().get("web").rollout()).isNull();
    }

    private int firstStop() {
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i) instanceof PlatformEvent.InstanceStopped) {
                return i;
            }
        }
        return Integer.MAX_VALUE;
    }
}
