package dev.berth.core.internal.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.berth.spi.ClusterSnapshot;
import dev.berth.api.Constraints;
import dev.berth.api.NodeSpec;
import dev.berth.spi.Placement;
import dev.berth.spi.PlacementRequest;
import dev.berth.api.Resources;
import dev.berth.spi.Scheduler;
import dev.berth.core.Schedulers;
import dev.berth.core.internal.scheduler.Scenarios.Scenario;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.quicktheories.QuickTheory;

/** Properties that hold for every cluster, every batch of requests and both strategies. */
class SchedulerPropertiesTest {

    private static QuickTheory theory() {
        return qt().withExamples(300);
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
    void eachRequestIsPlacedAtMostItsCount() {
        theory().forAll(Scenarios.scenarios()).checkAssert(s -> {
            Placement p = place(s);
            Map<Integer, Integer> placed = new HashMap<>();
            p.assignments().forEach(a -> placed.merge(a.request(), 1, Integer::sum));
            placed.forEach((request, count) -> {
                PlacementRequest r = s.requests().get(request);
                if (!r.all()) {
                    assertThat(count).as("request %d: %s", request, r).isLessThanOrEqualTo(r.count());
                }
            });
            List<PlacementRequest> ones = s.requests().stream()
                    .map(r -> PlacementRequest.of(r.app(), r.demand(), r.constraints(), 1))
                    .toList();
            Placement single = Schedulers.of(s.strategy()).place(s.snapshot(), ones);
            Map<Integer, Integer> once = new HashMap<>();
            single.assignments().forEach(a -> once.merge(a.request(), 1, Integer::sum));
            once.values().forEach(count -> assertThat(count).isEqualTo(1));
        });
    }

    /**
     * One instance that some up node could take (labels, per-node limit, room in every declared
     * dimension) is placed when it is placed alone, on the cluster as it is and on the same
     * cluster emptied.
     */
    @Test
    void aRequestThatFitsSomewhereAloneIsPlacedAlone() {
        theory().forAll(Scenarios.scenarios()).checkAssert(s -> {
            ClusterSnapshot empty = new ClusterSnapshot(s.snapshot().nodes().stream()
                    .map(n -> new ClusterSnapshot.NodeState(n.spec(), n.up(), List.of()))
                    .toList());
            for (ClusterSnapshot snapshot : List.of(s.snapshot(), empty)) {
                for (PlacementRequest r : s.requests()) {
                    PlacementRequest one = PlacementRequest.of(r.app(), r.demand(), r.constraints(), 1);
                    boolean fitsSomewhere = snapshot.nodes().stream().anyMatch(n -> admits(n, one));
                    Placement p = Schedulers.of(s.strategy()).place(snapshot, List.of(one));
                    assertThat(p.assignments()).as("%s alone: %s", one, p.unplaced()).hasSize(fitsSomewhere ? 1 : 0);
                    if (!p.assignments().isEmpty()) {
                        assertThat(admits(snapshot.byId().get(p.assignments().get(0).node()), one)).isTrue();
                    }
                }
            }
        });
    }

    /** The down node's allocations go elsewhere, within capacity and constraints; nothing else is placed. */
    @Test
    void evacuateMovesTheDownNodesAllocationsAndNothingElse() {
        theory().forAll(Scenarios.scenarios(), integers().between(0, 29)).checkAssert((s, pick) -> {
            List<ClusterSnapshot.NodeState> nodes = s.snapshot().nodes();
            ClusterSnapshot.NodeState down = nodes.get(pick % nodes.size());
            Map<String, Constraints> constraints = new HashMap<>();
            s.requests().forEach(r -> constraints.putIfAbsent(r.app(), r.constraints()));
            Scheduler scheduler = Schedulers.of(s.strategy());

            Placement p = scheduler.evacuate(s.snapshot(), down.spec().id(), constraints);

            List<ClusterSnapshot.Allocation> moved = down.allocations();
            Map<Integer, Integer> perRequest = new HashMap<>();
            Map<String, Map<String, Double>> used = new HashMap<>();
            Map<String, Integer> added = new HashMap<>();
            for (ClusterSnapshot.NodeState n : nodes) {
                used.put(n.spec().id(), new HashMap<>(n.allocated().amounts()));
            }
            for (Placement.Assignment a : p.assignments()) {
                assertThat(a.request()).isBetween(0, moved.size() - 1);
                assertThat(perRequest.merge(a.request(), 1, Integer::sum)).isEqualTo(1);
                ClusterSnapshot.Allocation allocation = moved.get(a.request());
                assertThat(a.app()).isEqualTo(allocation.app());
                assertThat(a.node()).isNotEqualTo(down.spec().id());
                ClusterSnapshot.NodeState target = s.snapshot().byId().get(a.node());
                assertThat(target.up()).isTrue();
                assertThat(constraints.getOrDefault(a.app(), Constraints.none()).admits(target.spec().labels())).isTrue();
                allocation.resources().amounts().forEach((dim, v) -> used.get(a.node()).merge(dim, v, Double::sum));
                int limit = constraints.getOrDefault(a.app(), Constraints.none()).perNodeLimit();
                int total = added.merge(a.app() + "@" + a.node(), 1, Integer::sum) + target.count(a.app());
                assertThat(total).as("%s on %s", a.app(), a.node()).isLessThanOrEqualTo(limit);
            }
            int unplaced = p.unplaced().stream().mapToInt(Placement.Unplaced::count).sum();
            assertThat(p.assignments().size() + unplaced).isEqualTo(moved.size());
            for (ClusterSnapshot.NodeState n : nodes) {
                if (n != down) {
                    n.spec().capacity().amounts().forEach((dim, cap) -> {
                        double before = n.allocated().get(dim);
                        assertThat(used.get(n.spec().id()).getOrDefault(dim, 0.0))
                                .as("%s on %s", dim, n.spec().id())
                                .isLessThanOrEqualTo(Math.max(cap, before) + 1e-6);
                    });
                }
            }
        });
    }

    /** Whether node {@code n} could take one instance of {@code r} as it is: every filter passes. */
    private static boolean admits(ClusterSnapshot.NodeState n, PlacementRequest r) {
        if (!n.up() || !r.constraints().admits(n.spec().labels()) || n.count(r.app()) >= r.constraints().perNodeLimit()) {
            return false;
        }
        Resources allocated = n.allocated();
        for (Map.Entry<String, Double> cap : n.spec().capacity().amounts().entrySet()) {
            if (cap.getValue() - allocated.get(cap.getKey()) - r.demand().get(cap.getKey()) < -1e-9) {
                return false;
            }
        }
        return true;
    }

    /**
     * Pack's bin-centric completion (one dimension, no constraints): everything is placed when the
     * nodes are enough, no node overflows, and a node is closed only when no item left fits it,
     * so at most about twice the lower bound ⌈Σ demand / capacity⌉ nodes are used.
     */
    @Test
    void oneDimensionalPackPlacesEverythingWithinTwiceTheBound() {
        qt().withExamples(200).forAll(integers().between(1, 60), integers().between(1, 1000), integers().between(1, 40))
                .checkAssert((count, seed, capacity) -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    List<PlacementRequest> requests = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        double size = rnd.nextInt(1, capacity * 10 + 1) / 10.0;
                        requests.add(PlacementRequest.of("app" + rnd.nextInt(3),
                                Resources.of(Map.of(Resources.CPU, size)), Constraints.none(), 1 + rnd.nextInt(2)));
                    }
                    int instances = requests.stream().mapToInt(PlacementRequest::count).sum();
                    List<ClusterSnapshot.NodeState> nodes = new ArrayList<>();
                    for (int n = 0; n < instances; n++) {
                        nodes.add(new ClusterSnapshot.NodeState(new NodeSpec("n" + n,
                                Resources.of(Map.of(Resources.CPU, (double) capacity)), Map.of()), true, List.of()));
                    }
                    Placement p = Schedulers.pack().place(new ClusterSnapshot(nodes), requests);
                    assertThat(p.unplaced()).isEmpty();
                    Map<String, Double> used = new HashMap<>();
                    for (Placement.Assignment a : p.assignments()) {
                        used.merge(a.node(), requests.get(a.request()).demand().get(Resources.CPU), Double::sum);
                    }
                    assertThat(used.values()).allSatisfy(u -> assertThat(u).isLessThanOrEqualTo(capacity + 1e-6));
                    double total = 0;
                    for (PlacementRequest r : requests) {
                        total += r.count() * r.demand().get(Resources.CPU);
                    }
                    assertThat(used.size()).isLessThanOrEqualTo(2 * (int) Math.ceil(total / capacity - 1e-9) + 1);
                });
    }

    /**
     * Pack's bin-centric fill (several dimensions, no constraints): when every instance fits an
     * empty node and there are as many nodes as instances, everything is placed, on nodes of
     * different sizes, and no node overflows in any dimension.
     */
    @Test
    void severalDimensionsPackPlacesEverythingThatHasANodeOfItsOwn() {
        qt().withExamples(200).forAll(integers().between(1, 40), integers().between(1, 100000), integers().between(2, 3))
                .checkAssert((count, seed, dims) -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    List<String> names = Scenarios.DIMENSIONS.subList(0, dims);
                    List<PlacementRequest> requests = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        Map<String, Double> demand = new TreeMap<>();
                        names.forEach(d -> demand.put(d, rnd.nextInt(0, 41) / 10.0));
                        requests.add(PlacementRequest.of("app" + rnd.nextInt(4), Resources.of(demand),
                                Constraints.none(), 1 + rnd.nextInt(2)));
                    }
                    int instances = requests.stream().mapToInt(PlacementRequest::count).sum();
                    List<ClusterSnapshot.NodeState> nodes = new ArrayList<>();
                    for (int n = 0; n < instances; n++) {
                        Map<String, Double> capacity = new TreeMap<>();
                        double size = 4 + rnd.nextInt(0, 3) * 4;
                        names.forEach(d -> capacity.put(d, size));
                        nodes.add(new ClusterSnapshot.NodeState(new NodeSpec("n" + n, Resources.of(capacity), Map.of()),
                                true, List.of()));
                    }
                    Placement p = Schedulers.pack().place(new ClusterSnapshot(nodes), requests);
                    assertThat(p.unplaced()).isEmpty();
                    Map<String, Map<String, Double>> used = new HashMap<>();
                    for (Placement.Assignment a : p.assignments()) {
                        requests.get(a.request()).demand().amounts().forEach((d, v) ->
                                used.computeIfAbsent(a.node(), k -> new HashMap<>()).merge(d, v, Double::sum));
                    }
                    Map<String, ClusterSnapshot.NodeState> byId = new ClusterSnapshot(nodes).byId();
                    used.forEach((node, amounts) -> amounts.forEach((d, v) ->
                            assertThat(v).isLessThanOrEqualTo(byId.get(node).spec().capacity().get(d) + 1e-6)));
                });
    }

    /**
     * Spread on nodes of a few sizes, with room to spare: each instance goes where the load is
     * least once placed, so no node ends more loaded than any other would be with one more
     * instance: load(a) ≤ load(b) + demand / capacity(b) for every pair of nodes.
     */
    @Test
    void spreadLeavesNoNodeMoreLoadedThanAnotherWithOneMoreInstance() {
        qt().withExamples(200).forAll(integers().between(1, 40), integers().between(1, 100000), integers().between(1, 4))
                .checkAssert((nodeCount, seed, sizes) -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    List<ClusterSnapshot.NodeState> nodes = new ArrayList<>();
                    Map<String, Double> capacity = new HashMap<>();
                    double total = 0;
                    for (int n = 0; n < nodeCount; n++) {
                        double cpu = 4.0 * (1 + rnd.nextInt(sizes));
                        capacity.put("n" + n, cpu);
                        total += cpu;
                        nodes.add(new ClusterSnapshot.NodeState(new NodeSpec("n" + n,
                                Resources.of(Map.of(Resources.CPU, cpu)), Map.of()), true, List.of()));
                    }
                    double demand = 0.5 * (1 + rnd.nextInt(4));
                    int count = (int) (total / 2 / demand);
                    Placement p = Schedulers.spread().place(new ClusterSnapshot(nodes),
                            List.of(PlacementRequest.of("web", Resources.of(Map.of(Resources.CPU, demand)), Constraints.none(), count)));
                    assertThat(p.unplaced()).isEmpty();
                    Map<String, Double> load = new HashMap<>();
                    capacity.keySet().forEach(n -> load.put(n, 0.0));
                    p.assignments().forEach(a -> load.merge(a.node(), demand / capacity.get(a.node()), Double::sum));
                    for (String a : load.keySet()) {
                        for (String b : load.keySet()) {
                            assertThat(load.get(a)).as("%s against %s", a, b)
                                    .isLessThanOrEqualTo(load.get(b) + demand / capacity.get(b) + 1e-9);
                        }
                    }
                });
    }

    @Test
    void strategiesAreDistinct() {
        assertThat(Schedulers.of(Scheduler.Strategy.PACK)).isNotSameAs(Schedulers.of(Scheduler.Strategy.SPREAD));
    }
}
