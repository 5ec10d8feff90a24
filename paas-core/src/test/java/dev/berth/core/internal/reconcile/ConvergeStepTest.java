// Properties of the pure convergence step: healthy minimum, running maximum, ALL on every eligible node, no double starts.
package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.spi.ClusterSnapshot;
import dev.berth.api.Endpoint;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.NodeSpec;
import dev.berth.spi.Placement;
import dev.berth.api.Resources;
import dev.berth.api.RoutingTable;
import dev.berth.spi.Scheduler;
import dev.berth.api.UpdateStrategy;
import dev.berth.core.internal.scheduler.PipelineScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@link ConvergeStep#decide} over generated apps, instances (two releases, every state, some
 * already leaving) and node liveness, checked against what the decision must never do.
 */
class ConvergeStepTest {
    private static final int NODES = 5;
    private static final InstanceState[] STATES = InstanceState.values();
    private static final Resources SMALL = Resources.of(0.25, 256);
    private static final Instant NOW = Instant.parse("2026-12-06T00:00:00Z");

    private static List<NodeSpec> nodes() {
        List<NodeSpec> out = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            out.add(NodeSpec.of("n" + i, Resources.of(16, 65536)));
        }
        return out;
    }

    private static Set<String> down(int mask) {
        Set<String> out = new HashSet<>();
        for (int i = 0; i < NODES; i++) {
            if ((mask & (1 << i)) != 0) {
                out.add("n" + i);
            }
        }
        return out;
    }

    /** Decodes one instance: its sequence number, release (new "r2" or old "r1"), node, state, and whether it is leaving. */
    private static ConvergeStep.Seen seen(int seq, int code) {
        String release = code % 2 == 0 ? "r2" : "r1";
        String node = "n" + (code / 2 % NODES);
        InstanceState state = STATES[code / 10 % STATES.length];
        boolean leaving = code / 70 % 5 == 0;
        boolean busy = code / 350 % 4 == 0;
        // waiting to respawn: none, due a second ago, due right now, or due in a second
        int wait = code / 1400 % 4;
        Instant respawnAt = wait == 0 ? null : NOW.plusSeconds(wait - 2);
        return new ConvergeStep.Seen("web-" + seq, release, node, state, leaving, busy, respawnAt);
    }

    private static List<ConvergeStep.Seen> instances(List<Integer> codes) {
        List<ConvergeStep.Seen> out = new ArrayList<>();
        for (int i = 0; i < codes.size(); i++) {
            out.add(seen(i + 1, codes.get(i)));
        }
        return out;
    }

    /** An update strategy from two tenths; (1.0, 0.0) is not a valid strategy and becomes (1.0, 0.1). */
    private static UpdateStrategy strategy(int minTenths, int overTenths) {
        int over = minTenths == 10 && overTenths == 0 ? 1 : overTenths;
        return new UpdateStrategy(minTenths / 10.0, over / 10.0, Duration.ofMinutes(5));
    }

    private static AppRecord app(int count, UpdateStrategy update) {
        AppSpec spec = AppSpec.builder("web").command("sleep", "1000").resources(SMALL)
                .instances(count < 0 ? Instances.ALL : Instances.of(count)).update(update).build();
        return new AppRecord(spec, "r2", false);
    }

    @Test
    void stopsAreKnownInstancesOnceAndNeverOnesAlreadyLeaving() {
        qt().withExamples(2000).forAll(integers().between(-1, 8), integers().between(0, 10), integers().between(0, 10),
                lists().of(integers().between(0, 9999)).ofSizeBetween(0, 16)).checkAssert((count, min, over, codes) -> {
            List<ConvergeStep.Seen> seen = instances(codes);
            ConvergeStep.Decision d = ConvergeStep.decide(app(count, strategy(min, over)), seen, nodes(), down(codes.size()), NOW);
            Map<String, ConvergeStep.Seen> byId = seen.stream().collect(Collectors.toMap(ConvergeStep.Seen::id, s -> s));
            List<String> stopped = d.stops().stream().map(ConvergeStep.Stop::id).toList();
            assertThat(stopped).doesNotHaveDuplicates();
            assertThat(stopped).allSatisfy(id -> assertThat(byId.get(id)).isNotNull().matches(s -> !s.leaving()));
        });
    }

    @Test
    void aCountAppNeverAsksForMoreThanItLacksNorScalesDownBelowItsCount() {
        qt().withExamples(2000).forAll(integers().between(0, 8), lists().of(integers().between(0, 9999)).ofSizeBetween(0, 16))
                .checkAssert((count, codes) -> {
                    List<ConvergeStep.Seen> seen = instances(codes).stream()
                            .map(s -> new ConvergeStep.Seen(s.id(), "r2", s.node(), s.state(), s.leaving(), s.busy(), s.respawnAt())).toList();
                    ConvergeStep.Decision d = ConvergeStep.decide(app(count, UpdateStrategy.defaults()), seen, nodes(), Set.of(), NOW);
                    long current = seen.stream().filter(s -> !s.leaving()).count();
                    if (current > count) {
                        assertThat(d.stops()).hasSize((int) (current - count));
                        assertThat(d.request()).isNull();
                    } else {
                        assertThat(d.stops()).isEmpty();
                        int asked = d.request() == null ? 0 : d.request().count();
                        assertThat(asked).isEqualTo(count - current); // nothing started twice
                    }
                });
    }

    @Test
    void aRollingUpdateKeepsTheHealthyMinimumAndNeverStartsPastTheRunningMaximum() {
        qt().withExamples(3000).forAll(integers().between(1, 8), integers().between(0, 10), integers().between(0, 10),
                lists().of(integers().between(0, 9999)).ofSizeBetween(1, 16)).checkAssert((count, min, over, codes) -> {
            UpdateStrategy update = strategy(min, over);
            List<ConvergeStep.Seen> seen = instances(codes);
            ConvergeStep.Decision d = ConvergeStep.decide(app(count, update), seen, nodes(), Set.of(), NOW);
            List<ConvergeStep.Seen> counted = seen.stream().filter(s -> !s.leaving()).toList();
            long current = counted.stream().filter(s -> s.release().equals("r2")).count();
            if (current > count || counted.stream().allMatch(s -> s.release().equals("r2"))) {
                return; // a plain scale-up or scale-down: the other property
            }
            Set<String> stopped = d.stops().stream().map(ConvergeStep.Stop::id).collect(Collectors.toSet());
            long healthyBefore = counted.stream().filter(ConvergeStep.Seen::healthy).count();
            long healthyAfter = counted.stream().filter(s -> s.healthy() && !stopped.contains(s.id())).count();
            assertThat(healthyAfter).as("healthy left").isGreaterThanOrEqualTo(Math.min(healthyBefore, update.minimumHealthy(count)));
            assertThat(stopped).as("only the old release is retired")
                    .allSatisfy(id -> assertThat(id).isIn(counted.stream().filter(s -> s.release().equals("r1")).map(ConvergeStep.Seen::id).toList()));
            int toStart = d.request() == null ? 0 : d.request().count();
            long live = seen.stream().filter(ConvergeStep.Seen::live).count();
            if (counted.stream().anyMatch(s -> s.release().equals("r1") && !s.healthy() && !stopped.contains(s.id()))) {
                // an old instance that serves nobody stays only while the minimum needs it (it may recover)
                // and the new ones still to start have room without its place
                assertThat(healthyBefore).as("healthy below the minimum").isLessThan(update.minimumHealthy(count));
                assertThat(count - current).as("new ones to start, within the room")
                        .isLessThanOrEqualTo(update.maximumRunning(count) - live + stopped.size());
            }
            if (toStart > 0) {
                assertThat(live + toStart).as("running at once").isLessThanOrEqualTo(update.maximumRunning(count));
            }
            assertThat(toStart).as("never more than the release lacks").isLessThanOrEqualTo((int) (count - current));
        });
    }

    @Test
    void anAppOnEveryNodeKeepsOnePerNodeAndIsPlacedOnEveryEligibleUpNodeAndNoDownOne() {
        Scheduler scheduler = PipelineScheduler.of(Scheduler.Strategy.PACK);
        qt().withExamples(2000).forAll(integers().between(0, 31), lists().of(integers().between(0, 9999)).ofSizeBetween(0, 16))
                .checkAssert((mask, codes) -> {
                    Set<String> down = down(mask);
                    List<ConvergeStep.Seen> seen = instances(codes);
                    ConvergeStep.Decision d = ConvergeStep.decide(app(-1, UpdateStrategy.defaults()), seen, nodes(), down, NOW);
                    Set<String> stopped = d.stops().stream().map(ConvergeStep.Stop::id).collect(Collectors.toSet());
                    Map<String, List<ConvergeStep.Seen>> keptCurrent = new HashMap<>();
                    for (ConvergeStep.Seen s : seen) {
                        if (!s.leaving() && s.release().equals("r2") && !stopped.contains(s.id())) {
                            keptCurrent.computeIfAbsent(s.node(), k -> new ArrayList<>()).add(s);
                        }
                    }
                    assertThat(keptCurrent.values()).as("one per node").allSatisfy(list -> assertThat(list).hasSize(1));
                    for (ConvergeStep.Seen s : seen) {
                        if (stopped.contains(s.id()) && s.release().equals("r1")) {
                            assertThat(keptCurrent.get(s.node())).as("an old one goes only beside a healthy new one")
                                    .isNotNull().allMatch(ConvergeStep.Seen::healthy);
                        }
                    }
                    List<String> lacking = nodes().stream().map(NodeSpec::id)
                            .filter(n -> !down.contains(n) && !keptCurrent.containsKey(n)).toList();
                    assertThat(d.request() != null).as("asks exactly when an eligible up node lacks one").isEqualTo(!lacking.isEmpty());
                    if (d.request() == null) {
                        return;
                    }
                    Placement p = scheduler.place(snapshot(seen, stopped, down), List.of(d.request()));
                    assertThat(p.assignments()).extracting(Placement.Assignment::node)
                            .as("on every eligible up node that lacks one, and on no other").containsExactlyInAnyOrderElementsOf(lacking);
                });
    }

    @Test
    void exactlyTheDueIdleCurrentInstancesOnUpNodesRespawnAndNoneIsAlsoStopped() {
        qt().withExamples(3000).forAll(integers().between(-1, 8), integers().between(0, 31),
                lists().of(integers().between(0, 9999)).ofSizeBetween(0, 16)).checkAssert((count, mask, codes) -> {
            Set<String> down = down(mask);
            List<ConvergeStep.Seen> seen = instances(codes);
            ConvergeStep.Decision d = ConvergeStep.decide(app(count, UpdateStrategy.defaults()), seen, nodes(), down, NOW);
            Set<String> stopped = d.stops().stream().map(ConvergeStep.Stop::id).collect(Collectors.toSet());
            List<String> expected = seen.stream().filter(s -> s.respawnAt() != null && !s.respawnAt().isAfter(NOW)
                    && !s.leaving() && !s.busy() && s.release().equals("r2") && !down.contains(s.node())
                    && !stopped.contains(s.id())).map(ConvergeStep.Seen::id).toList();
            assertThat(d.respawns()).as("due, idle, of the current release, on an up node, not stopped")
                    .containsExactlyElementsOf(expected);
        });
    }

    @Test
    void aRouteHasEveryReadyInstanceNotBeingStoppedAndOnlyThoseAndTheLostOnesEachOnce() {
        qt().withExamples(2000).forAll(lists().of(integers().between(0, 63)).ofSizeBetween(0, 12),
                lists().of(integers().between(0, 7)).ofSizeBetween(0, 4), integers().between(0, 1)).checkAssert((codes, lostPorts, push) -> {
            List<ConvergeStep.Routable> seen = new ArrayList<>();
            for (int code : codes) { // endpoint port 0-7 (or none), ready, stopping
                Endpoint e = code % 9 == 8 ? null : new Endpoint("127.0.0.1", 20000 + code % 8);
                seen.add(new ConvergeStep.Routable(e, code / 9 % 2 == 0, code / 18 % 2 == 1));
            }
            List<Endpoint> lost = lostPorts.stream().map(p -> new Endpoint("127.0.0.1", 30000 + p)).toList();
            AppSpec spec = AppSpec.builder("web").command("serve").env(AppSpec.PORT, AppSpec.RANDOM_PORT)
                    .routing(dev.berth.api.Routing.of("web.test"))
                    .source(push == 1 ? new dev.berth.api.Source.Git("web", null, true) : dev.berth.api.Source.none()).build();

            RoutingTable.Route route = ConvergeStep.route(new AppRecord(spec, "r1", false), seen, lost);

            Set<Endpoint> serving = seen.stream().filter(r -> r.ready() && !r.stopping() && r.endpoint() != null)
                    .map(ConvergeStep.Routable::endpoint).collect(Collectors.toSet());
            Set<Endpoint> expected = new HashSet<>(serving);
            expected.addAll(lost);
            assertThat(route.endpoints()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
            assertThat(route.status() == RoutingTable.Route.Status.NOT_DEPLOYED)
                    .as("not deployed exactly when it waits for a push and nothing serves").isEqualTo(push == 1 && expected.isEmpty());
        });
    }

    /** The cluster as the loop shows it to the scheduler: current instances count as the app, old ones as app@release. */
    private static ClusterSnapshot snapshot(List<ConvergeStep.Seen> seen, Set<String> stopped, Set<String> down) {
        List<ClusterSnapshot.NodeState> out = new ArrayList<>();
        for (NodeSpec n : nodes()) {
            List<ClusterSnapshot.Allocation> there = new ArrayList<>();
            for (ConvergeStep.Seen s : seen) {
                if (s.node().equals(n.id()) && !s.leaving() && !stopped.contains(s.id())) {
                    there.add(new ClusterSnapshot.Allocation(s.release().equals("r2") ? "web" : "web@r1", s.id(), SMALL));
                }
            }
            out.add(new ClusterSnapshot.NodeState(n, !down.contains(n.id()), there));
        }
        return new ClusterSnapshot(out);
    }
}
