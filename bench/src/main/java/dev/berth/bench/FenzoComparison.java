package dev.berth.bench;

import com.netflix.fenzo.ConstraintEvaluator;
import com.netflix.fenzo.SchedulingResult;
import com.netflix.fenzo.TaskAssignmentResult;
import com.netflix.fenzo.TaskRequest;
import com.netflix.fenzo.TaskScheduler;
import com.netflix.fenzo.VMAssignmentResult;
import com.netflix.fenzo.VMTaskFitnessCalculator;
import com.netflix.fenzo.VirtualMachineLease;
import com.netflix.fenzo.plugins.BinPackingFitnessCalculators;
import com.netflix.fenzo.plugins.HostAttrValueConstraint;
import com.netflix.fenzo.plugins.UniqueHostAttrConstraint;
import dev.berth.api.BerthException;
import dev.berth.samples.PlacementBench;
import dev.berth.samples.PlacementCheck;
import dev.berth.samples.PlacementWorkloads;
import dev.berth.samples.Workload;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Places the same workloads with Netflix Fenzo ({@code TaskScheduler} with
 * {@link BinPackingFitnessCalculators}: {@code cpuBinPacker} for 1-D, {@code cpuMemBinPacker}
 * for 2-D) and with Berth's {@code Schedulers.pack()}, and prints per workload the nodes each
 * used, the placements per second of each (requests / median time of the placement call) and
 * the ratios.
 *
 * <pre>
 * mvn -B -q package -DskipTests -pl bench -am
 * java -Xmx1g -cp bench/target/benchmarks.jar dev.berth.bench.FenzoComparison [--runs 3] [KIND:REQUESTS:NODES ...]
 * </pre>
 *
 * <p>Both are timed the same way: the workload is converted first (Berth: snapshot and requests;
 * Fenzo: leases, tasks and a fresh {@code TaskScheduler} per run, since a scheduler keeps the
 * leases it was given), one untimed warm-up run, then the median of {@code runs} timed calls of
 * {@code place} or {@code scheduleOnce} alone. Fenzo evaluates the hosts for a task on a thread
 * pool as large as the machine's cores; Berth places on the calling thread. Fenzo's shortfall
 * evaluation (an autoscaling aid) is disabled; everything else is Fenzo's default. Both results
 * are checked by {@link PlacementCheck} (capacity, constraints, every request accounted for).
 * Constraints reach Fenzo as its {@code UniqueHostAttrConstraint} (uniqueHost),
 * {@code HostAttrValueConstraint} (label) and {@link MaxPerNodeConstraint} (maxPerNode, which Fenzo
 * does not have built in). Fenzo takes the tasks in workload order; Berth may sort its batch.
 * Stateless; thread-safe.
 */
public final class FenzoComparison {

    private FenzoComparison() {
    }

    /**
     * One workload of the comparison.
     *
     * @param kind     the generator's kind
     * @param requests requests
     * @param nodes    nodes
     */
    public record Case(PlacementWorkloads.Kind kind, int requests, int nodes) {
        /** {@code kind:requests:nodes}, the command-line form. */
        @Override
        public String toString() {
            return kind.cliName() + ":" + requests + ":" + nodes;
        }

        /** Parses {@code kind:requests:nodes}. */
        public static Case parse(String text) {
            String[] parts = text.split(":");
            if (parts.length != 3) {
                throw new IllegalArgumentException("case '" + text + "' is not KIND:REQUESTS:NODES, e.g. mixed-2d:5000:1000");
            }
            try {
                return new Case(PlacementWorkloads.Kind.of(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("case '" + text + "': requests and nodes must be integers", e);
            }
        }
    }

    /**
     * What one scheduler did on one workload.
     *
     * @param placed      requests placed
     * @param unplaced    requests not placed
     * @param nodesUsed   nodes holding at least one request
     * @param medianNanos median time of the placement call
     */
    public record Side(int placed, int unplaced, int nodesUsed, long medianNanos) {
        /** Requests handled per second in the median run. */
        public double rate() {
            return medianNanos == 0 ? 0 : (placed + unplaced) / (medianNanos / 1e9);
        }
    }

    /**
     * One line of the comparison.
     *
     * @param workload   the case
     * @param lowerBound the fewest nodes that can hold what Berth placed (largest nodes first, per dimension)
     * @param berth      Berth's pack
     * @param fenzo      Fenzo with its bin packer
     */
    public record Row(Case workload, int lowerBound, Side berth, Side fenzo) {
    }

    /**
     * The default set: sizes at which Fenzo finishes in seconds on 2 cores (up to 10k requests on
     * 2k nodes). Fenzo's cost grows with requests × nodes, Berth's far slower.
     */
    public static List<Case> defaultCases() {
        return List.of(
                new Case(PlacementWorkloads.Kind.UNIFORM_1D, 2_000, 1_000),
                new Case(PlacementWorkloads.Kind.UNIFORM_1D, 10_000, 3_000),
                new Case(PlacementWorkloads.Kind.SKEWED_1D, 10_000, 2_000),
                new Case(PlacementWorkloads.Kind.MIXED_2D, 2_000, 1_000),
                new Case(PlacementWorkloads.Kind.MIXED_2D, 10_000, 2_000),
                new Case(PlacementWorkloads.Kind.HOMOGENEOUS_2D, 10_000, 2_000),
                new Case(PlacementWorkloads.Kind.CONSTRAINED_2D, 10_000, 2_000),
                new Case(PlacementWorkloads.Kind.TRIPLETS, 3_000, 1_250),
                new Case(PlacementWorkloads.Kind.TRIPLETS, 9_999, 4_000));
    }

    /** Runs the comparison; arguments: {@code [--runs R] [KIND:REQUESTS:NODES ...]}. */
    public static void main(String[] args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        int runs = 3;
        List<Case> cases = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--runs") && i + 1 < args.length) {
                    runs = Integer.parseInt(args[++i]);
                } else {
                    cases.add(Case.parse(args[i]));
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println("FenzoComparison: " + e.getMessage());
            System.exit(2);
        }
        run(cases.isEmpty() ? defaultCases() : cases, 1, runs, System.out);
    }

    /** Compares on each case (seed {@code seed}, {@code runs} timed runs each) and prints the table to {@code out}. */
    public static List<Row> run(List<Case> cases, long seed, int runs, PrintStream out) {
        out.println(header());
        List<Row> rows = new ArrayList<>();
        for (Case c : cases) {
            Row row = compare(c, seed, runs);
            rows.add(row);
            out.println(format(row));
        }
        return rows;
    }

    /** The column titles of {@link #format(Row)}. */
    public static String header() {
        return String.format(Locale.ROOT, "%-30s %6s %10s %10s %9s %12s %12s %12s %12s %9s",
                "workload", "lb", "berthUsed", "fenzoUsed", "used b/f", "berthPlaced", "fenzoPlaced",
                "berth/s", "fenzo/s", "speedup");
    }

    /** One row of the table. */
    public static String format(Row r) {
        return String.format(Locale.ROOT, "%-30s %6d %10d %10d %9.3f %12d %12d %12.0f %12.0f %8.1fx",
                r.workload(), r.lowerBound(), r.berth().nodesUsed(), r.fenzo().nodesUsed(),
                r.fenzo().nodesUsed() == 0 ? 0.0 : (double) r.berth().nodesUsed() / r.fenzo().nodesUsed(),
                r.berth().placed(), r.fenzo().placed(),
                r.berth().rate(), r.fenzo().rate(),
                r.fenzo().rate() == 0 ? 0.0 : r.berth().rate() / r.fenzo().rate());
    }

    /** Generates the case's workload and places it with both. */
    public static Row compare(Case c, long seed, int runs) {
        Workload w = PlacementWorkloads.generate(c.kind(), c.nodes(), c.requests(), seed);
        PlacementBench.Result b = PlacementBench.measure(w, 1, runs);
        Side berth = new Side(b.assignments().size(), b.unplaced().size(),
                PlacementCheck.nodesUsed(b.assignments()), b.placeNanosMedian());
        int lb = Arrays.stream(PlacementCheck.lowerBounds(w, b.assignments())).max().orElse(0);
        return new Row(c, lb, berth, fenzo(w, runs));
    }

    /**
     * Places {@code w} with Fenzo: one warm-up run, then {@code runs} timed {@code scheduleOnce}
     * calls, each on a fresh scheduler and fresh leases and tasks. The last placement is checked.
     *
     * @throws BerthException when Fenzo's placement breaks a rule of the workload
     */
    public static Side fenzo(Workload w, int runs) {
        if (w.dimensions().size() > 2) {
            throw new IllegalArgumentException("Fenzo is compared on 1-D and 2-D workloads only; this one has " + w.dimensions());
        }
        VMTaskFitnessCalculator packer = w.dimensions().size() == 1
                ? BinPackingFitnessCalculators.cpuBinPacker
                : BinPackingFitnessCalculators.cpuMemBinPacker;
        long[] nanos = new long[runs];
        Map<String, String> assignments = null;
        Map<String, String> unplaced = null;
        for (int run = -1; run < runs; run++) {
            List<TaskRequest> tasks = tasks(w);
            List<VirtualMachineLease> leases = leases(w);
            TaskScheduler scheduler = new TaskScheduler.Builder()
                    .withLeaseRejectAction(lease -> { })
                    .withLeaseOfferExpirySecs(3600)
                    .withFitnessCalculator(packer)
                    .disableShortfallEvaluation()
                    .build();
            SchedulingResult result;
            try {
                long t0 = System.nanoTime();
                result = scheduler.scheduleOnce(tasks, leases);
                long t = System.nanoTime() - t0;
                if (run >= 0) {
                    nanos[run] = t;
                }
            } finally {
                scheduler.shutdown();
            }
            if (!result.getExceptions().isEmpty()) {
                throw new BerthException("Fenzo failed: " + result.getExceptions().get(0), result.getExceptions().get(0));
            }
            assignments = new LinkedHashMap<>();
            for (VMAssignmentResult vm : result.getResultMap().values()) {
                for (TaskAssignmentResult t : vm.getTasksAssigned()) {
                    assignments.put(t.getTaskId(), vm.getHostname());
                }
            }
            unplaced = new LinkedHashMap<>();
            Map<String, String> failures = new HashMap<>();
            result.getFailures().forEach((task, list) ->
                    failures.put(task.getId(), list.isEmpty() ? "no host" : String.valueOf(list.get(0))));
            for (Workload.Request r : w.requests()) {
                if (!assignments.containsKey(r.id())) {
                    unplaced.put(r.id(), failures.getOrDefault(r.id(), "not assigned by Fenzo"));
                }
            }
        }
        List<String> problems = PlacementCheck.violations(w, assignments, unplaced);
        if (!problems.isEmpty()) {
            throw new BerthException("Fenzo's placement breaks the rules:\n  " + String.join("\n  ", problems));
        }
        Arrays.sort(nanos);
        long median = runs % 2 == 1 ? nanos[runs / 2] : (nanos[runs / 2 - 1] + nanos[runs / 2]) / 2;
        return new Side(assignments.size(), unplaced.size(), PlacementCheck.nodesUsed(assignments), median);
    }

    private static List<VirtualMachineLease> leases(Workload w) {
        long now = System.currentTimeMillis();
        boolean twoD = w.dimensions().size() == 2;
        List<VirtualMachineLease> leases = new ArrayList<>(w.nodes().size());
        for (Workload.Node n : w.nodes()) {
            leases.add(new FenzoLease(n.id(), n.capacity()[0], twoD ? n.capacity()[1] : 0, n.labels(), now));
        }
        return leases;
    }

    /** The workload's requests as Fenzo tasks, constraints translated to Fenzo's evaluators. */
    static List<TaskRequest> tasks(Workload w) {
        boolean twoD = w.dimensions().size() == 2;
        Map<String, Set<String>> byApp = new HashMap<>();
        Map<String, String> appOf = new HashMap<>();
        Map<String, Map<String, String>> labelValue = new HashMap<>();
        for (Workload.Request r : w.requests()) {
            byApp.computeIfAbsent(r.app(), k -> new HashSet<>()).add(r.id());
            appOf.put(r.id(), r.app());
            for (Workload.Constraint c : r.constraints()) {
                if (c instanceof Workload.Label l) {
                    labelValue.computeIfAbsent(l.key(), k -> new HashMap<>()).put(r.id(), l.value());
                }
            }
        }
        ConstraintEvaluator uniqueHost = new UniqueHostAttrConstraint(id -> byApp.get(appOf.get(id)));
        Map<String, ConstraintEvaluator> labelConstraints = new HashMap<>();
        labelValue.forEach((key, values) -> labelConstraints.put(key, new HostAttrValueConstraint(key, values::get)));
        Map<Integer, ConstraintEvaluator> maxConstraints = new HashMap<>();
        List<TaskRequest> tasks = new ArrayList<>(w.requests().size());
        for (Workload.Request r : w.requests()) {
            List<ConstraintEvaluator> hard = new ArrayList<>(r.constraints().size());
            for (Workload.Constraint c : r.constraints()) {
                if (c instanceof Workload.UniqueHost) {
                    hard.add(uniqueHost);
                } else if (c instanceof Workload.MaxPerNode m) {
                    hard.add(maxConstraints.computeIfAbsent(m.value(), MaxPerNodeConstraint::new));
                } else if (c instanceof Workload.Label l) {
                    hard.add(labelConstraints.get(l.key()));
                }
            }
            tasks.add(new FenzoTask(r.id(), r.app(), r.demand()[0], twoD ? r.demand()[1] : 0, hard));
        }
        return tasks;
    }
}
