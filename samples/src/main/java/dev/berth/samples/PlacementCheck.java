package dev.berth.samples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a placement of a {@link Workload} from outside, whoever computed it: no node over
 * capacity in any dimension, every constraint holds, every request assigned or unplaced exactly
 * once, no unknown request or node. Also the figures of a placement: nodes used and the lower
 * bound on the nodes needed. Stateless; thread-safe.
 */
public final class PlacementCheck {
    /** Relative slack for sums of doubles. */
    private static final double EPSILON = 1e-9;
    private static final int MAX_SHOWN = 10;

    private PlacementCheck() {
    }

    /**
     * The violations of a placement, empty when it is sound; at most a few are described, then a
     * count.
     *
     * @param workload    what was placed
     * @param assignments request id to node id
     * @param unplaced    request id to the reason
     */
    public static List<String> violations(Workload workload, Map<String, String> assignments, Map<String, String> unplaced) {
        List<String> problems = new ArrayList<>();
        int dims = workload.dimensions().size();
        Map<String, Integer> nodeIndex = new HashMap<>();
        for (int i = 0; i < workload.nodes().size(); i++) {
            nodeIndex.put(workload.nodes().get(i).id(), i);
        }
        Set<String> known = new HashSet<>();
        double[][] used = new double[workload.nodes().size()][dims];
        Map<String, Integer> perAppNode = new HashMap<>();
        for (Workload.Request r : workload.requests()) {
            known.add(r.id());
            String node = assignments.get(r.id());
            boolean isUnplaced = unplaced.containsKey(r.id());
            if (node == null && !isUnplaced) {
                problems.add("request " + r.id() + " is neither assigned nor unplaced");
                continue;
            }
            if (node != null && isUnplaced) {
                problems.add("request " + r.id() + " is both assigned (to " + node + ") and unplaced");
            }
            if (node == null) {
                continue;
            }
            Integer n = nodeIndex.get(node);
            if (n == null) {
                problems.add("request " + r.id() + " is assigned to unknown node " + node);
                continue;
            }
            for (int d = 0; d < dims; d++) {
                used[n][d] += r.demand()[d];
            }
            perAppNode.merge(r.app() + '\u0000' + node, 1, Integer::sum);
        }
        for (String id : assignments.keySet()) {
            if (!known.contains(id)) {
                problems.add("assignment of unknown request " + id);
            }
        }
        for (String id : unplaced.keySet()) {
            if (!known.contains(id)) {
                problems.add("unplaced entry for unknown request " + id);
            }
        }
        for (int n = 0; n < used.length; n++) {
            Workload.Node node = workload.nodes().get(n);
            for (int d = 0; d < dims; d++) {
                double cap = node.capacity()[d];
                if (used[n][d] > cap + EPSILON * Math.max(1, cap)) {
                    problems.add("node " + node.id() + " is over capacity in " + workload.dimensions().get(d) + ": "
                            + used[n][d] + " > " + cap);
                }
            }
        }
        for (Workload.Request r : workload.requests()) {
            String node = assignments.get(r.id());
            Integer n = node == null ? null : nodeIndex.get(node);
            if (n == null) {
                continue;
            }
            int limit = Workload.perNodeLimit(r.constraints());
            int count = perAppNode.getOrDefault(r.app() + '\u0000' + node, 0);
            if (count > limit) {
                problems.add("request " + r.id() + ": node " + node + " holds " + count + " of app " + r.app()
                        + ", more than the " + limit + " allowed");
            }
            Map<String, String> labels = workload.nodes().get(n).labels();
            for (Workload.Constraint c : r.constraints()) {
                if (c instanceof Workload.Label l && !l.value().equals(labels.get(l.key()))) {
                    problems.add("request " + r.id() + " needs label " + l.key() + "=" + l.value() + " but node " + node
                            + " has " + labels.get(l.key()));
                }
            }
        }
        if (problems.size() > MAX_SHOWN) {
            int more = problems.size() - MAX_SHOWN;
            problems = new ArrayList<>(problems.subList(0, MAX_SHOWN));
            problems.add("... and " + more + " more");
        }
        return problems;
    }

    /** The number of distinct nodes that hold at least one request. */
    public static int nodesUsed(Map<String, String> assignments) {
        return new HashSet<>(assignments.values()).size();
    }

    /**
     * Per dimension, the fewest nodes whose capacities together hold the demand of the assigned
     * requests: the largest capacities first. On identical nodes that is ⌈Σ demand / capacity⌉.
     */
    public static int[] lowerBounds(Workload workload, Map<String, String> assignments) {
        int dims = workload.dimensions().size();
        double[] demand = new double[dims];
        for (Workload.Request r : workload.requests()) {
            if (assignments.containsKey(r.id())) {
                for (int d = 0; d < dims; d++) {
                    demand[d] += r.demand()[d];
                }
            }
        }
        int[] bounds = new int[dims];
        for (int d = 0; d < dims; d++) {
            double[] caps = new double[workload.nodes().size()];
            for (int n = 0; n < caps.length; n++) {
                caps[n] = workload.nodes().get(n).capacity()[d];
            }
            Arrays.sort(caps);
            double need = demand[d] * (1 - EPSILON);
            double sum = 0;
            int k = 0;
            for (int i = caps.length - 1; i >= 0 && sum < need; i--) {
                sum += caps[i];
                k++;
            }
            bounds[d] = k;
        }
        return bounds;
    }

    /** Whether every node has the same capacity. */
    public static boolean homogeneous(Workload workload) {
        double[] first = workload.nodes().isEmpty() ? null : workload.nodes().get(0).capacity();
        for (Workload.Node n : workload.nodes()) {
            if (!Arrays.equals(first, n.capacity())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The most loaded node's utilisation over the least loaded's, over all nodes; utilisation is
     * the mean over the dimensions of used / capacity. Infinite when some node is empty.
     */
    public static double loadRatio(Workload workload, Map<String, String> assignments) {
        int dims = workload.dimensions().size();
        Map<String, double[]> used = new HashMap<>();
        for (Workload.Request r : workload.requests()) {
            String node = assignments.get(r.id());
            if (node != null) {
                double[] u = used.computeIfAbsent(node, k -> new double[dims]);
                for (int d = 0; d < dims; d++) {
                    u[d] += r.demand()[d];
                }
            }
        }
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        for (Workload.Node n : workload.nodes()) {
            double[] u = used.getOrDefault(n.id(), new double[dims]);
            double util = 0;
            for (int d = 0; d < dims; d++) {
                util += n.capacity()[d] == 0 ? 0 : u[d] / n.capacity()[d];
            }
            util /= dims;
            min = Math.min(min, util);
            max = Math.max(max, util);
        }
        return min == 0 ? Double.POSITIVE_INFINITY : max / min;
    }
}
