package dev.berth.core.internal.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import dev.berth.api.ClusterSnapshot;
import dev.berth.api.NodeSpec;
import dev.berth.api.Placement;
import dev.berth.api.PlacementRequest;
import dev.berth.api.Scheduler;
import dev.berth.core.Schedulers;
import dev.berth.core.internal.scheduler.Scenarios.Scenario;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.quicktheories.QuickTheory;

/** Properties that hold for every cluster, every batch of requests and both strategies. */
class SchedulerPropertiesTest {

    private static QuickTheory theory() {
        return qt().withExamples(400);
    }

    private static Placement place(Scenario s) {
        return Schedulers.of(s.strategy()).place(s.snapshot(), s.requests());
    }

    @Test
    void noNodeIsOverCapacity() {
        theory().forAll(Scenarios.scenarios()).checkAssert(s -> {
            Placement p = place(s);
            Map<String, ClusterSnapshot.NodeState> nodes = s.snapshot().byId();
            Map<String, Map<String, Double>> used = new HashMap<>();
            for (ClusterSnapshot.NodeState n : s.snapshot().nodes()) {
                used.put(n.spec().id(), new HashMap<>(n.allocated().amounts()));
            }
            for (Placement.Assignment a : p.assignments()) {
                s.requests().get(a.request()).demand().amounts()
                        .forEach((dim, v) -> used.get(a.node()).merge(dim, v, Double::sum));
            }
            used.forEach((node, amounts) -> nodes.get(node).spec().capacity().amounts().forEach((dim, cap) ->
                    assertThat(amounts.getOrDefault(dim, 0.0))
                            .as("%s on %s", dim, node)
                            .isLessThanOrEqualTo(cap + 1e-6)));
        });
    }

    @Test
    void constraintsAlwaysHold() {
        theory().forAll(Scenarios.scenarios()).checkAssert(s -> {
            Placement p = place(s);
            Map<String, ClusterSnapshot.NodeState> nodes = s.snapshot().byId();
            Map<String, Integer> added = new HashMap<>();
            for (Placement.Assignment a : p.assignments()) {
                PlacementRequest r = s.requests().get(a.request());
                ClusterSnapshot.NodeState node = nodes.get(a.node());
                assertThat(node).as("assigned node %s exists", a.node()).isNotNull();
                assertThat(a.app()).isEqualTo(r.app());
                assertThat(node.up()).as("%s is up", a.node()).isTrue();
                assertThat(r.constraints().admits(node.spec().labels())).as("labels of %s", a.node()).isTrue();
                int total = added.merge(a.app() + "@" + a.node(), 1, Integer::sum) + node.count(a.app());
                assertThat(total).as("%s on %s", a.app(), a.node()).isLessThanOrEqualTo(r.constraints().perNodeLimit());
                if (r.all()) {
                    assertThat(node.count(a.app()) + added.get(a.app() + "@" + a.node()))
                            .as("ALL puts one %s on %s", a.app(), a.node()).isEqualTo(1);
                }
            }
        });
    }

    @Test
    void everyRequestIsAccountedFor() {
        theory().forAll(Scenarios.scenarios()).checkAssert(s -> {
            Placement p = place(s);
            for (int i = 0; i < s.requests().size(); i++) {
                int index = i;
                PlacementRequest r = s.requests().get(i);
                long placed = p.assignments().stream().filter(a -> a.request() == index).count();
                List<Placement.Unplaced> unplaced = p.unplaced().stream().filter(u -> u.request() == index).toList();
                assertThat(unplaced).hasSizeLessThanOrEqualTo(1);
                int missing = unplaced.isEmpty() ? 0 : unplaced.get(0).count();
                unplaced.forEach(u -> {
                    assertThat(u.count()).isPositive();
                    assertThat(u.app()).isEqualTo(r.app());
                    assertThat(u.reason()).isNotBlank();
                });
                long expected = r.all() ? eligibleWithout(s.snapshot(), r) : r.count();
                assertThat(placed + missing).as("request %d: %s", i, r).isEqualTo(expected);
            }
        });
    }

    @Test
    void deterministic() {
        theory().forAll(Scenarios.scenarios()).checkAssert(s -> {
            Placement first = place(s);
            ClusterSnapshot copy = new ClusterSnapshot(List.copyOf(s.snapshot().nodes()));
            assertThat(Schedulers.of(s.strategy()).place(copy, List.copyOf(s.requests()))).isEqualTo(first);
        });
    }

    /** On alike, empty nodes, pack fills nodes one by one, so it never uses more nodes than spread. */
    @Test
    void packUsesNoMoreNodesThanSpreadOnAlikeNodes() {
        theory().forAll(Scenarios.scenarios()).checkAssert(s -> {
            NodeSpec first = s.snapshot().nodes().get(0).spec();
            ClusterSnapshot empty = new ClusterSnapshot(s.snapshot().nodes().stream()
                    .map(n -> new ClusterSnapshot.NodeState(new NodeSpec(n.spec().id(), first.capacity(), n.spec().labels()),
                            true, List.of()))
                    .toList());
            List<PlacementRequest> one = List.of(s.requests().get(0));
            Placement pack = Schedulers.pack().place(empty, one);
            Placement spread = Schedulers.spread().place(empty, one);
            if (pack.unplaced().isEmpty() && spread.unplaced().isEmpty()) {
                assertThat(nodesUsed(pack)).isLessThanOrEqualTo(nodesUsed(spread));
            }
        });
    }

    private static long nodesUsed(Placement p) {
        return p.assignments().stream().map(Placement.Assignment::node).distinct().count();
    }

    private static long eligibleWithout(ClusterSnapshot snapshot, PlacementRequest r) {
        return snapshot.nodes().stream()
                .filter(n -> n.up() && r.constraints().admits(n.spec().labels()) && n.count(r.app()) == 0)
                .count();
    }

    @Test
    void strategiesAreDistinct() {
        assertThat(Schedulers.of(Scheduler.Strategy.PACK)).isNotSameAs(Schedulers.of(Scheduler.Strategy.SPREAD));
    }
}
