package dev.berth.core.internal.scheduler;

import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.berth.spi.ClusterSnapshot;
import dev.berth.api.Constraints;
import dev.berth.api.NodeSpec;
import dev.berth.spi.PlacementRequest;
import dev.berth.api.Resources;
import dev.berth.spi.Scheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;

/**
 * QuickTheories generators for the scheduler's properties: random clusters of 1-30 nodes with 1-3
 * of a few dimensions each (so nodes differ in what they declare), some down, random labels and
 * random existing allocations that fit; random batches of requests with random constraints, each
 * for its own app (existing allocations use the same app names, so limits count them).
 */
final class Scenarios {
    static final List<String> DIMENSIONS = List.of(Resources.CPU, Resources.MEMORY_MB, Resources.LOAD);
    static final List<String> ZONES = List.of("a", "b", "c");

    /** One input to the scheduler. */
    record Scenario(Scheduler.Strategy strategy, ClusterSnapshot snapshot, List<PlacementRequest> requests) {
        @Override
        public String toString() {
            StringBuilder s = new StringBuilder(strategy + "\n");
            snapshot.nodes().forEach(n -> s.append("  ").append(n.spec().id()).append(n.up() ? "" : " DOWN")
                    .append(" cap=").append(n.spec().capacity()).append(" labels=").append(n.spec().labels())
                    .append(" allocs=").append(n.allocations().stream().map(a -> a.app() + a.resources()).toList())
                    .append('\n'));
            requests.forEach(r -> s.append("  req ").append(r).append('\n'));
            return s.toString();
        }
    }

    private Scenarios() {
    }

    static Gen<Scenario> scenarios() {
        return Scenarios::scenario;
    }

    private static Scenario scenario(RandomnessSource in) {
        Scheduler.Strategy strategy = booleans().all().generate(in) ? Scheduler.Strategy.PACK : Scheduler.Strategy.SPREAD;
        int nodeCount = between(in, 1, 30);
        // Half the clusters are built from at most three machine types, as real ones are (and as
        // the engine's per-size stages need), the others from nodes of any size.
        List<TreeMap<String, Double>> types = new ArrayList<>();
        if (booleans().all().generate(in)) {
            for (int t = between(in, 1, 3); t > 0; t--) {
                types.add(capacity(in));
            }
        }
        List<ClusterSnapshot.NodeState> nodes = new ArrayList<>();
        for (int i = 0; i < nodeCount; i++) {
            nodes.add(node(in, i, types.isEmpty() ? capacity(in) : new TreeMap<>(types.get(between(in, 0, types.size() - 1)))));
        }
        int requestCount = between(in, 1, 6);
        List<PlacementRequest> requests = new ArrayList<>();
        for (int i = 0; i < requestCount; i++) {
            requests.add(request(in, "app" + i));
        }
        return new Scenario(strategy, new ClusterSnapshot(nodes), requests);
    }

    private static TreeMap<String, Double> capacity(RandomnessSource in) {
        TreeMap<String, Double> capacity = new TreeMap<>();
        int dims = between(in, 1, 3);
        for (int d = 0; d < dims; d++) {
            capacity.put(DIMENSIONS.get(between(in, 0, DIMENSIONS.size() - 1)), amount(in, 16));
        }
        return capacity;
    }

    private static ClusterSnapshot.NodeState node(RandomnessSource in, int index, TreeMap<String, Double> capacity) {
        Map<String, String> labels = new TreeMap<>();
        int zone = between(in, 0, ZONES.size());
        if (zone < ZONES.size()) {
            labels.put("zone", ZONES.get(zone));
        }
        if (booleans().all().generate(in)) {
            labels.put("disk", "ssd");
        }
        boolean up = between(in, 0, 4) > 0;
        NodeSpec spec = new NodeSpec("n" + index, new Resources(capacity), labels);
        List<ClusterSnapshot.Allocation> allocations = new ArrayList<>();
        TreeMap<String, Double> used = new TreeMap<>();
        int existing = between(in, 0, 4);
        for (int a = 0; a < existing; a++) {
            Resources r = demand(in);
            if (fits(capacity, used, r)) {
                r.amounts().forEach((k, v) -> used.merge(k, v, Double::sum));
                allocations.add(new ClusterSnapshot.Allocation("app" + between(in, 0, 5), "i" + index + "-" + a, r));
            }
        }
        return new ClusterSnapshot.NodeState(spec, up, allocations);
    }

    private static boolean fits(Map<String, Double> capacity, Map<String, Double> used, Resources r) {
        for (Map.Entry<String, Double> c : capacity.entrySet()) {
            if (used.getOrDefault(c.getKey(), 0.0) + r.get(c.getKey()) > c.getValue()) {
                return false;
            }
        }
        return true;
    }

    static PlacementRequest request(RandomnessSource in, String app) {
        Constraints c = Constraints.none()
                .withUniqueHost(between(in, 0, 3) == 0)
                .withMaxPerNode(between(in, 0, 1) == 0 ? 0 : between(in, 1, 3));
        int zone = between(in, 0, ZONES.size() * 2);
        if (zone < ZONES.size()) {
            c = c.withNodeLabels(Map.of("zone", ZONES.get(zone)));
        }
        if (between(in, 0, 4) == 0) {
            return PlacementRequest.onEveryNode(app, demand(in), c);
        }
        return PlacementRequest.of(app, demand(in), c, between(in, 0, 12));
    }

    /** Up to 3 dimensions, sometimes one that no node declares. */
    static Resources demand(RandomnessSource in) {
        TreeMap<String, Double> amounts = new TreeMap<>();
        int dims = between(in, 0, 3);
        for (int d = 0; d < dims; d++) {
            int which = between(in, 0, DIMENSIONS.size());
            amounts.put(which == DIMENSIONS.size() ? "gpu" : DIMENSIONS.get(which), amount(in, 4));
        }
        return new Resources(amounts);
    }

    /** 0 to {@code max}, in steps of 0.5 or sometimes 0.1 (so that sums are inexact). */
    private static double amount(RandomnessSource in, int max) {
        if (booleans().all().generate(in)) {
            return between(in, 0, max * 2) * 0.5;
        }
        return between(in, 0, max * 10) * 0.1;
    }

    static int between(RandomnessSource in, int low, int high) {
        return integers().between(low, high).generate(in);
    }
}
