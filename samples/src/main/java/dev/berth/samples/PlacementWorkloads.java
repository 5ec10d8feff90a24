package dev.berth.samples;

import dev.berth.spi.Scheduler;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Generates placement workloads for {@link PlacementBench}, deterministically for a seed (the same
 * kind, sizes and seed give the same file, byte for byte, on any JVM: {@link SplittableRandom}).
 *
 * <pre>
 * java -cp samples/target/samples-0.1.0-SNAPSHOT-jar-with-dependencies.jar \
 *     dev.berth.samples.PlacementWorkloads --kind mixed-2d --nodes 10000 --requests 100000 --seed 1 --out w.json
 * </pre>
 *
 * <p>The kinds ({@link Kind}): {@code uniform-1d}, {@code skewed-1d}, {@code triplets} (1-D,
 * capacity 1000, identical nodes); {@code mixed-2d}, {@code constrained-2d} (cpu and memoryMb on
 * five machine types, a few hundred apps of mixed instance sizes); {@code homogeneous-2d} (the
 * mixed-2d apps on identical nodes, where ⌈Σ demand / capacity⌉ is the bound); {@code spread-2d}
 * (the same with strategy spread). The nodes must be enough for the requests; the generator does
 * not check that, so a workload can also be made to overflow on purpose. Stateless; thread-safe.
 */
@Command(name = "PlacementWorkloads", mixinStandardHelpOptions = true,
        description = "Writes a placement workload (shared/bench/PLACEMENT.md) of a given kind, deterministic for a seed.")
public final class PlacementWorkloads implements Callable<Integer> {

    /** The capacity of every node in the 1-D kinds. */
    public static final double CAPACITY_1D = 1000;

    /** The kinds of workload. */
    public enum Kind {
        /** Identical nodes (1-D, capacity 1000), demands uniform in [10, 500]. */
        UNIFORM_1D("uniform-1d"),
        /** Identical nodes (1-D, capacity 1000): 85% of demands in [5, 50], 15% in [200, 700]. */
        SKEWED_1D("skewed-1d"),
        /** Five machine types; a few hundred apps of mixed cpu/memory sizes, popularity Zipf-like. */
        MIXED_2D("mixed-2d"),
        /** As mixed-2d, with zone labels on nodes and uniqueHost, maxPerNode and label apps. */
        CONSTRAINED_2D("constrained-2d"),
        /**
         * Falkenauer's triplets: capacity 1000, N/3 bins in the optimum, each holding exactly three
         * items in (250, 500) that sum to 1000; items shuffled. Request ids {@code t<bin>-<k>}.
         */
        TRIPLETS("triplets"),
        /** The mixed-2d apps on identical nodes (32 cpu, 128 GiB), strategy spread. */
        SPREAD_2D("spread-2d"),
        /** The mixed-2d apps on identical nodes (32 cpu, 128 GiB), strategy pack. */
        HOMOGENEOUS_2D("homogeneous-2d");

        private final String cliName;

        Kind(String cliName) {
            this.cliName = cliName;
        }

        /** The name on the command line, e.g. {@code mixed-2d}. */
        public String cliName() {
            return cliName;
        }

        /** The kind named {@code name} on the command line. */
        public static Kind of(String name) {
            for (Kind k : values()) {
                if (k.cliName.equals(name)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("--kind: '" + name + "' is not a kind; one of "
                    + Arrays.stream(values()).map(Kind::cliName).collect(Collectors.joining(", ")));
        }
    }

    @Option(names = "--kind", required = true, paramLabel = "KIND",
            description = "uniform-1d, skewed-1d, mixed-2d, constrained-2d, triplets, spread-2d, homogeneous-2d")
    String kind;

    @Option(names = "--nodes", required = true, paramLabel = "M", description = "number of nodes")
    int nodes;

    @Option(names = "--requests", required = true, paramLabel = "N", description = "number of requests (triplets: rounded down to a multiple of 3)")
    int requests;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "where to write the workload JSON")
    Path out;

    private final PrintStream stdout;

    private PlacementWorkloads(PrintStream stdout) {
        this.stdout = stdout;
    }

    /** Runs the command and exits with its code (2 for bad options). */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command with these streams; returns the exit code instead of exiting. */
    public static int run(String[] args, PrintStream stdout, PrintStream stderr) {
        CommandLine cli = new CommandLine(new PlacementWorkloads(stdout));
        cli.setOut(new PrintWriter(stdout, true));
        cli.setErr(new PrintWriter(stderr, true));
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                stderr.println("PlacementWorkloads: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() throws IOException {
        Workload w = generate(Kind.of(kind), nodes, requests, seed);
        w.write(out);
        stdout.println(out + ": " + kind + " " + w.requests().size() + " requests on " + w.nodes().size() + " nodes (seed " + seed + ")");
        return 0;
    }

    /**
     * The workload of {@code kind} with {@code nodes} nodes and {@code requests} requests.
     *
     * @throws IllegalArgumentException for fewer than 1 node or request (3 for triplets)
     */
    public static Workload generate(Kind kind, int nodes, int requests, long seed) {
        if (nodes < 1) {
            throw new IllegalArgumentException("--nodes: " + nodes + " is not allowed; at least 1");
        }
        if (requests < (kind == Kind.TRIPLETS ? 3 : 1)) {
            throw new IllegalArgumentException("--requests: " + requests + " is not allowed; at least "
                    + (kind == Kind.TRIPLETS ? 3 : 1));
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        return switch (kind) {
            case UNIFORM_1D -> oneDimension(nodes, requests, rnd, r -> 10 + r.nextInt(491));
            case SKEWED_1D -> oneDimension(nodes, requests, rnd,
                    r -> r.nextInt(100) < 85 ? 5 + r.nextInt(46) : 200 + r.nextInt(501));
            case TRIPLETS -> triplets(nodes, requests, rnd);
            case MIXED_2D -> twoDimensions(mixedNodes(nodes, rnd, false), requests, rnd, false, Scheduler.Strategy.PACK);
            case CONSTRAINED_2D -> twoDimensions(mixedNodes(nodes, rnd, true), requests, rnd, true, Scheduler.Strategy.PACK);
            case SPREAD_2D -> twoDimensions(identicalNodes(nodes), requests, rnd, false, Scheduler.Strategy.SPREAD);
            case HOMOGENEOUS_2D -> twoDimensions(identicalNodes(nodes), requests, rnd, false, Scheduler.Strategy.PACK);
        };
    }

    private interface Size {
        int draw(SplittableRandom rnd);
    }

    private static Workload oneDimension(int nodes, int requests, SplittableRandom rnd, Size size) {
        List<Workload.Request> list = new ArrayList<>(requests);
        for (int i = 0; i < requests; i++) {
            list.add(new Workload.Request("r" + i, "app-" + (i % 100), new double[] {size.draw(rnd)}, List.of()));
        }
        return new Workload(List.of("cpu"), Scheduler.Strategy.PACK, nodes1d(nodes), list);
    }

    private static List<Workload.Node> nodes1d(int nodes) {
        List<Workload.Node> list = new ArrayList<>(nodes);
        for (int i = 0; i < nodes; i++) {
            list.add(new Workload.Node("n" + i, new double[] {CAPACITY_1D}, Map.of()));
        }
        return list;
    }

    /**
     * Falkenauer's construction: the first item uniform in [380, 490], the second in
     * [251, 1000 - first - 251], the third what is left; all three lie in (250, 500).
     */
    private static Workload triplets(int nodes, int requests, SplittableRandom rnd) {
        int bins = requests / 3;
        List<Workload.Request> list = new ArrayList<>(bins * 3);
        for (int b = 0; b < bins; b++) {
            int first = 380 + rnd.nextInt(111);
            int second = 251 + rnd.nextInt(1000 - first - 251 - 251 + 1);
            int third = 1000 - first - second;
            int[] items = {first, second, third};
            for (int k = 0; k < 3; k++) {
                list.add(new Workload.Request("t" + b + "-" + k, "item", new double[] {items[k]}, List.of()));
            }
        }
        for (int i = list.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            Workload.Request t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
        return new Workload(List.of("cpu"), Scheduler.Strategy.PACK, nodes1d(nodes), list);
    }

    private record MachineType(String name, double cpu, double memoryMb, int weight) {
    }

    private static final List<MachineType> MACHINES = List.of(
            new MachineType("m16", 16, 65_536, 3),
            new MachineType("m32", 32, 131_072, 3),
            new MachineType("m64", 64, 262_144, 1),
            new MachineType("r32", 32, 262_144, 2),
            new MachineType("c48", 48, 98_304, 1));
    private static final double[] CPU_SIZES = {0.25, 0.5, 1, 2, 4, 8};
    private static final int[] CPU_WEIGHTS = {20, 25, 25, 15, 10, 5};
    private static final double[] MB_PER_CPU = {1024, 2048, 4096, 8192};
    private static final int[] MB_PER_CPU_WEIGHTS = {20, 30, 35, 15};
    private static final String[] ZONES = {"a", "b", "c"};

    private static List<Workload.Node> mixedNodes(int nodes, SplittableRandom rnd, boolean zones) {
        int[] weights = MACHINES.stream().mapToInt(MachineType::weight).toArray();
        List<Workload.Node> list = new ArrayList<>(nodes);
        for (int i = 0; i < nodes; i++) {
            MachineType t = MACHINES.get(pick(rnd, weights));
            Map<String, String> labels = zones
                    ? Map.of("zone", ZONES[rnd.nextInt(ZONES.length)], "type", t.name())
                    : Map.of("type", t.name());
            list.add(new Workload.Node("n" + i, new double[] {t.cpu(), t.memoryMb()}, labels));
        }
        return list;
    }

    private static List<Workload.Node> identicalNodes(int nodes) {
        List<Workload.Node> list = new ArrayList<>(nodes);
        for (int i = 0; i < nodes; i++) {
            list.add(new Workload.Node("n" + i, new double[] {32, 131_072}, Map.of()));
        }
        return list;
    }

    private record App(String name, double[] demand, List<Workload.Constraint> constraints) {
    }

    /**
     * A few hundred apps (at most 300, about one per three requests), each with an instance size
     * (cpu from 0.25 to 8, memory 1-8 GiB per cpu, ±25%, in steps of 128 MiB) and, when
     * {@code constrained}, constraints; requests drawn from the apps with Zipf-like popularity.
     */
    private static Workload twoDimensions(List<Workload.Node> nodes, int requests, SplittableRandom rnd,
                                          boolean constrained, Scheduler.Strategy strategy) {
        int appCount = Math.max(1, Math.min(300, requests / 3));
        List<App> apps = new ArrayList<>(appCount);
        for (int a = 0; a < appCount; a++) {
            double cpu = CPU_SIZES[pick(rnd, CPU_WEIGHTS)];
            double ratio = MB_PER_CPU[pick(rnd, MB_PER_CPU_WEIGHTS)] * (0.75 + 0.5 * rnd.nextDouble());
            double mem = Math.max(128, Math.round(cpu * ratio / 128) * 128.0);
            List<Workload.Constraint> constraints = List.of();
            if (constrained) {
                int roll = rnd.nextInt(100);
                String zone = ZONES[rnd.nextInt(ZONES.length)];
                if (roll < 15) {
                    constraints = List.of(new Workload.UniqueHost());
                } else if (roll < 30) {
                    constraints = List.of(new Workload.MaxPerNode(2 + rnd.nextInt(3)));
                } else if (roll < 50) {
                    constraints = List.of(new Workload.Label("zone", zone));
                } else if (roll < 60) {
                    constraints = List.of(new Workload.Label("zone", zone), new Workload.UniqueHost());
                }
            }
            apps.add(new App(String.format(Locale.ROOT, "app-%03d", a), new double[] {cpu, mem}, constraints));
        }
        double[] cumulative = new double[appCount];
        double total = 0;
        for (int a = 0; a < appCount; a++) {
            total += 1 / Math.pow(a + 1, 0.8);
            cumulative[a] = total;
        }
        int[] instances = new int[appCount];
        List<Workload.Request> list = new ArrayList<>(requests);
        for (int i = 0; i < requests; i++) {
            double x = rnd.nextDouble() * total;
            int a = Arrays.binarySearch(cumulative, x);
            a = a >= 0 ? a : Math.min(appCount - 1, -a - 1);
            App app = apps.get(a);
            list.add(new Workload.Request(app.name() + "-" + instances[a]++, app.name(), app.demand(), app.constraints()));
        }
        return new Workload(List.of("cpu", "memoryMb"), strategy, nodes, list);
    }

    private static int pick(SplittableRandom rnd, int[] weights) {
        int sum = 0;
        for (int w : weights) {
            sum += w;
        }
        int x = rnd.nextInt(sum);
        for (int i = 0; i < weights.length; i++) {
            x -= weights[i];
            if (x < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }
}
