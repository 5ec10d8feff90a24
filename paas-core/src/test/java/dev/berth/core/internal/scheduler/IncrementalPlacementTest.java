// Checks that the scheduler's kept state (KeptNodes, UndoLog) gives exactly what a fresh scheduler gives.
package dev.berth.core.internal.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;

import dev.berth.spi.ClusterSnapshot;
import dev.berth.api.Constraints;
import dev.berth.api.NodeSpec;
import dev.berth.spi.Placement;
import dev.berth.spi.PlacementRequest;
import dev.berth.api.Resources;
import dev.berth.spi.Scheduler;
import dev.berth.core.internal.scheduler.Scenarios.Scenario;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;

/**
 * The scheduler keeps its working table and indexes between calls; these properties check that,
 * over sequences of snapshots where each step replaces a few nodes' states (new objects) and keeps
 * the others (the same objects), it returns exactly the placement a new scheduler returns for
 * the same snapshot and requests.
 */
class IncrementalPlacementTest {

    /** What happens to one node between two snapshots. */
    enum Kind { FLIP_UP, REMOVE_ONE, ADD_ONE, SAME_CONTENT }

    /** One node's change: which node (modulo the size), how, and for ADD_ONE what is added. */
    record Change(int node, Kind kind, String app, Resources demand) {
    }

    /**
     * One step after the first call: whether the last placement is applied to the nodes (as the
     * control loop does), the other changes, whether the node list changes (a new spec), and the
     * requests: the last ones (same weights), the last ones for other apps, or new ones.
     */
    record Step(boolean apply, List<Change> changes, boolean otherNodes, int requestsChoice,
                List<PlacementRequest> fresh) {
    }

    record Sequence(Scenario first, List<Step> steps) {
        @Override
        public String toString() {
            return first + "steps=" + steps;
        }
    }

    static Gen<Sequence> sequences() {
        return in -> {
            Scenario first = Scenarios.scenarios().generate(in);
            List<Step> steps = new ArrayList<>();
            for (int s = Scenarios.between(in, 1, 8); s > 0; s--) {
                List<Change> changes = new ArrayList<>();
                for (int c = Scenarios.between(in, 0, 3); c > 0; c--) {
                    changes.add(new Change(Scenarios.between(in, 0, 29),
                            Kind.values()[Scenarios.between(in, 0, Kind.values().length - 1)],
                            "app" + Scenarios.between(in, 0, 5), Scenarios.demand(in)));
                }
                List<PlacementRequest> fresh = new ArrayList<>();
                for (int r = Scenarios.between(in, 1, 4); r > 0; r--) {
                    fresh.add(Scenarios.request(in, "app" + Scenarios.between(in, 0, 5)));
                }
                steps.add(new Step(booleans().all().generate(in), changes, Scenarios.between(in, 0, 9) == 0,
                        Scenarios.between(in, 0, 3), fresh));
            }
            return new Sequence(first, steps);
        };
    }

    @Test
    void keptStateGivesWhatAFreshSchedulerGives() {
        qt().withExamples(400).forAll(sequences()).checkAssert(seq -> {
            Scheduler.Strategy strategy = seq.first().strategy();
            PipelineScheduler kept = PipelineScheduler.of(strategy);
            ClusterSnapshot snapshot = seq.first().snapshot();
            List<PlacementRequest> requests = seq.first().requests();
            int serial = 0;
            for (int s = 0; ; s++) {
                Placement expected = PipelineScheduler.of(strategy).place(snapshot, requests);
                assertThat(kept.place(snapshot, requests)).as("step %d", s).isEqualTo(expected);
                // the same call again: the first one's placements did not stay in the kept table
                assertThat(kept.place(snapshot, requests)).as("step %d, again", s).isEqualTo(expected);
                if (s == seq.steps().size()) {
                    return;
                }
                Step step = seq.steps().get(s);
                List<ClusterSnapshot.NodeState> nodes = new ArrayList<>(snapshot.nodes());
                if (step.apply()) {
                    serial = apply(nodes, expected, requests, serial);
                }
                for (Change c : step.changes()) {
                    int n = c.node() % nodes.size();
                    nodes.set(n, change(nodes.get(n), c, "x" + serial++));
                }
                if (step.otherNodes()) {
                    ClusterSnapshot.NodeState last = nodes.get(nodes.size() - 1);
                    NodeSpec spec = last.spec();
                    nodes.set(nodes.size() - 1, new ClusterSnapshot.NodeState(new NodeSpec(spec.id(),
                            spec.capacity().plus(Resources.of(Map.of(Resources.CPU, 1.0))), spec.labels()),
                            last.up(), last.allocations()));
                }
                snapshot = new ClusterSnapshot(nodes);
                requests = switch (step.requestsChoice()) {
                    case 0, 1 -> requests;
                    case 2 -> renamed(requests);
                    default -> step.fresh();
                };
            }
        });
    }

    @Test
    void deployingAppAfterAppMatchesAFreshSchedulerOnALargerCluster() {
        for (Scheduler.Strategy strategy : Scheduler.Strategy.values()) {
            List<ClusterSnapshot.NodeState> nodes = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                Resources capacity = Resources.of(Map.of(Resources.CPU, i % 3 == 0 ? 8.0 : 4.0,
                        Resources.MEMORY_MB, 4096.0));
                nodes.add(new ClusterSnapshot.NodeState(new NodeSpec("n" + i, capacity,
                        Map.of("zone", i % 2 == 0 ? "a" : "b")), i % 17 != 0, List.of()));
            }
            PipelineScheduler kept = PipelineScheduler.of(strategy);
            int serial = 0;
            for (int app = 0; app < 120; app++) {
                Constraints c = app % 5 == 0 ? Constraints.none().withNodeLabels(Map.of("zone", "a"))
                        : app % 7 == 0 ? Constraints.none().withUniqueHost(true) : Constraints.none();
                List<PlacementRequest> requests = List.of(PlacementRequest.of("app" + app,
                        Resources.of(Map.of(Resources.CPU, 0.1 * (1 + app % 3), Resources.MEMORY_MB, 64.0)), c, 10));
                ClusterSnapshot snapshot = new ClusterSnapshot(nodes);
                Placement expected = PipelineScheduler.of(strategy).place(snapshot, requests);
                assertThat(kept.place(snapshot, requests)).as("%s, app %d", strategy, app).isEqualTo(expected);
                assertThat(expected.unplaced()).isEmpty();
                serial = apply(nodes, expected, requests, serial);
            }
        }
    }

    @Test
    void concurrentCallsEachGetTheirOwnCorrectPlacement() throws Exception {
        List<Sequence> inputs = new ArrayList<>();
        Gen<Sequence> gen = sequences();
        qt().withExamples(40).forAll(gen).checkAssert(inputs::add);
        PipelineScheduler shared = PipelineScheduler.of(Scheduler.Strategy.SPREAD);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                done.add(pool.submit(() -> {
                    for (int round = 0; round < 20; round++) {
                        for (Sequence seq : inputs) {
                            ClusterSnapshot snapshot = seq.first().snapshot();
                            List<PlacementRequest> requests = seq.first().requests();
                            assertThat(shared.place(snapshot, requests)).isEqualTo(
                                    PipelineScheduler.of(Scheduler.Strategy.SPREAD).place(snapshot, requests));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void keptStateIsReusedForTheSameNodesOnly() {
        List<NodeSpec> specs = List.of(NodeSpec.of("a", Resources.of(Map.of(Resources.CPU, 2.0))),
                NodeSpec.of("b", Resources.of(Map.of(Resources.CPU, 2.0))));
        KeptNodes first = KeptNodes.open(null, ClusterSnapshot.of(specs), List.of(Scorers.MOST_ALLOCATED));
        assertThat(KeptNodes.open(first, ClusterSnapshot.of(specs), List.of(Scorers.MOST_ALLOCATED))).isSameAs(first);
        assertThat(KeptNodes.open(first, ClusterSnapshot.of(specs.subList(0, 1)), List.of(Scorers.MOST_ALLOCATED)))
                .isNotSameAs(first);
        assertThat(KeptNodes.open(first, ClusterSnapshot.of(List.of(specs.get(1), specs.get(0))),
                List.of(Scorers.MOST_ALLOCATED))).isNotSameAs(first);
    }

    /** Adds the placement's assignments to their nodes, as new node states. */
    private static int apply(List<ClusterSnapshot.NodeState> nodes, Placement placement,
                             List<PlacementRequest> requests, int serial) {
        Map<String, Integer> position = new HashMap<>();
        for (int n = 0; n < nodes.size(); n++) {
            position.put(nodes.get(n).spec().id(), n);
        }
        Map<Integer, List<ClusterSnapshot.Allocation>> added = new HashMap<>();
        for (Placement.Assignment a : placement.assignments()) {
            added.computeIfAbsent(position.get(a.node()), k -> new ArrayList<>()).add(new ClusterSnapshot.Allocation(
                    a.app(), "p" + serial++, requests.get(a.request()).demand()));
        }
        added.forEach((n, allocations) -> {
            ClusterSnapshot.NodeState old = nodes.get(n);
            List<ClusterSnapshot.Allocation> all = new ArrayList<>(old.allocations());
            all.addAll(allocations);
            nodes.set(n, new ClusterSnapshot.NodeState(old.spec(), old.up(), all));
        });
        return serial;
    }

    private static ClusterSnapshot.NodeState change(ClusterSnapshot.NodeState old, Change c, String instance) {
        List<ClusterSnapshot.Allocation> allocations = new ArrayList<>(old.allocations());
        boolean up = old.up();
        switch (c.kind()) {
            case FLIP_UP -> up = !up;
            case REMOVE_ONE -> {
                if (!allocations.isEmpty()) {
                    allocations.remove(c.node() % allocations.size());
                }
            }
            case ADD_ONE -> allocations.add(new ClusterSnapshot.Allocation(c.app(), instance, c.demand()));
            case SAME_CONTENT -> {
            }
        }
        return new ClusterSnapshot.NodeState(old.spec(), up, allocations);
    }

    /** The same requests for other apps: the same demands, so the same weights. */
    private static List<PlacementRequest> renamed(List<PlacementRequest> requests) {
        List<PlacementRequest> out = new ArrayList<>();
        for (PlacementRequest r : requests) {
            String app = "app" + ((Integer.parseInt(r.app().substring(3)) + 1) % 6);
            out.add(r.all() ? PlacementRequest.onEveryNode(app, r.demand(), r.constraints())
                    : PlacementRequest.of(app, r.demand(), r.constraints(), r.count()));
        }
        return out;
    }
}
