package dev.berth.samples;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.BerthException;
import dev.berth.spi.ClusterSnapshot;
import dev.berth.spi.Placement;
import dev.berth.spi.PlacementRequest;
import dev.berth.spi.Scheduler;
import dev.berth.core.Schedulers;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Measures Berth's placement engine on one workload, as {@code shared/bench/PLACEMENT.md}
 * specifies:
 *
 * <pre>
 * java -cp samples/target/samples-0.1.0-SNAPSHOT-jar-with-dependencies.jar \
 *     dev.berth.samples.PlacementBench workload.json [--out result.json]
 * </pre>
 *
 * <p>Reads the workload, converts it to one count-1 {@link PlacementRequest} per request and an
 * empty {@link ClusterSnapshot} (outside the timed part), warms up with a few untimed runs, then
 * times {@code scheduler.place(snapshot, requests)} alone, at least 5 times, each from the empty
 * cluster, with {@link Schedulers#of(Scheduler.Strategy)} of the workload's strategy. It checks
 * the placement from outside ({@link PlacementCheck}) and that every repetition gave the same
 * placement, writes {@code {"assignments", "unplaced", "placeNanosMedian", "repetitions"}} to the
 * {@code --out} file, and prints a one-line summary to stdout. Without {@code --out} the result
 * JSON goes to stdout and the summary to stderr.
 *
 * <p>Exit codes: 0 done; 1 the placement broke a rule (over capacity, constraint, a request lost
 * or placed twice, not deterministic); 2 bad input (the message names the file and the field).
 * System properties {@code berth.bench.warmups} (default 3; warm-up stops early after 10 s) and
 * {@code berth.bench.repetitions} (default 5, at least 5) tune the runs. Not thread-safe: one run
 * per instance.
 */
@Command(name = "PlacementBench", mixinStandardHelpOptions = true,
        description = "Places a workload with Berth's scheduler and reports the median time of at least 5 runs.")
public final class PlacementBench implements Callable<Integer> {
    /** Exit code for a placement that broke a rule. */
    public static final int BROKEN = 1;
    /** Exit code for bad input. */
    public static final int BAD_INPUT = 2;

    private static final long WARMUP_BUDGET_NANOS = 10_000_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(index = "0", paramLabel = "WORKLOAD", description = "workload JSON (shared/bench/PLACEMENT.md)")
    Path workloadFile;

    @Option(names = "--out", paramLabel = "FILE", description = "result JSON; stdout when absent")
    Path out;

    private final PrintStream stdout;
    private final PrintStream stderr;

    private PlacementBench(PrintStream stdout, PrintStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Runs the command and exits with its code. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command with these streams; returns the exit code instead of exiting. */
    public static int run(String[] args, PrintStream stdout, PrintStream stderr) {
        CommandLine cli = new CommandLine(new PlacementBench(stdout, stderr));
        cli.setOut(new PrintWriter(stdout, true));
        cli.setErr(new PrintWriter(stderr, true));
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        Workload workload;
        try {
            workload = Workload.read(workloadFile);
            workload.snapshot();
            workload.placementRequests();
        } catch (BerthException e) {
            stderr.println("PlacementBench: " + e.getMessage());
            return BAD_INPUT;
        }
        int warmups = Integer.getInteger("berth.bench.warmups", 3);
        int repetitions = Math.max(5, Integer.getInteger("berth.bench.repetitions", 5));
        Result result;
        try {
            result = measure(workload, warmups, repetitions);
        } catch (BrokenPlacementException e) {
            stderr.println("PlacementBench: " + workloadFile + ": " + e.getMessage());
            return BROKEN;
        }
        String summary = workloadFile.getFileName() + ": " + summary(workload, result);
        try {
            if (out != null) {
                Path parent = out.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                try (OutputStream o = Files.newOutputStream(out)) {
                    result.write(o);
                }
                stdout.println(summary);
            } else {
                result.write(stdout);
                stdout.flush();
                stderr.println(summary);
            }
        } catch (IOException e) {
            stderr.println("PlacementBench: cannot write " + (out == null ? "stdout" : out) + ": " + e);
            return BAD_INPUT;
        }
        return 0;
    }

    /**
     * What a measurement found.
     *
     * @param assignments      request id to node id, in request order
     * @param unplaced         request id to the reason, in request order
     * @param placeNanosMedian the median time of one {@code place} call
     * @param repetitions      how many timed calls
     * @param nanos            each timed call, in the order run
     */
    public record Result(Map<String, String> assignments, Map<String, String> unplaced, long placeNanosMedian,
                         int repetitions, long[] nanos) {
        public Result {
            assignments = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(assignments));
            unplaced = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(unplaced));
            nanos = nanos.clone();
        }

        /** Writes the result JSON of PLACEMENT.md: exactly assignments, unplaced, placeNanosMedian, repetitions. */
        public void write(OutputStream out) throws IOException {
            try (JsonGenerator g = JSON.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
                g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                g.writeStartObject();
                g.writeObjectFieldStart("assignments");
                for (Map.Entry<String, String> e : assignments.entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
                g.writeObjectFieldStart("unplaced");
                for (Map.Entry<String, String> e : unplaced.entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
                g.writeNumberField("placeNanosMedian", placeNanosMedian);
                g.writeNumberField("repetitions", repetitions);
                g.writeEndObject();
                g.writeRaw('\n');
            }
        }
    }

    /** A placement that broke a rule: over capacity, a constraint, a lost request, not deterministic. */
    public static final class BrokenPlacementException extends BerthException {
        private static final long serialVersionUID = 1L;

        BrokenPlacementException(String message) {
            super(message);
        }
    }

    /**
     * Places {@code workload} with Berth's scheduler for its strategy: {@code warmups} untimed runs
     * (fewer when they take over 10 s), then {@code repetitions} timed ones; checks the result.
     *
     * @throws BrokenPlacementException when the placement breaks a rule or varies between runs
     */
    public static Result measure(Workload workload, int warmups, int repetitions) {
        if (repetitions < 1) {
            throw new IllegalArgumentException("repetitions must be >= 1, was " + repetitions);
        }
        Scheduler scheduler = Schedulers.of(workload.strategy());
        ClusterSnapshot snapshot = workload.snapshot();
        List<PlacementRequest> requests = workload.placementRequests();
        long warmStart = System.nanoTime();
        for (int i = 0; i < warmups && System.nanoTime() - warmStart < WARMUP_BUDGET_NANOS; i++) {
            Objects.requireNonNull(scheduler.place(snapshot, requests));
        }
        long[] nanos = new long[repetitions];
        Placement first = null;
        for (int i = 0; i < repetitions; i++) {
            long t0 = System.nanoTime();
            Placement p = scheduler.place(snapshot, requests);
            nanos[i] = System.nanoTime() - t0;
            if (first == null) {
                first = p;
            } else if (!first.equals(p)) {
                throw new BrokenPlacementException("not deterministic: repetition " + (i + 1)
                        + " placed differently from repetition 1");
            }
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        long median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        Map<String, String> assignments = new LinkedHashMap<>();
        Map<String, String> unplaced = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        translate(workload, first, assignments, unplaced, problems);
        problems.addAll(PlacementCheck.violations(workload, assignments, unplaced));
        if (!problems.isEmpty()) {
            throw new BrokenPlacementException("the placement breaks the rules:\n  " + String.join("\n  ", problems));
        }
        return new Result(ordered(workload, assignments), ordered(workload, unplaced), median, repetitions, nanos);
    }

    /** Maps the scheduler's request indexes back to the workload's request ids, noting what does not add up. */
    private static void translate(Workload workload, Placement p, Map<String, String> assignments,
                                  Map<String, String> unplaced, List<String> problems) {
        int n = workload.requests().size();
        for (Placement.Assignment a : p.assignments()) {
            if (a.request() < 0 || a.request() >= n) {
                problems.add("assignment for request index " + a.request() + " of " + n);
                continue;
            }
            String id = workload.requests().get(a.request()).id();
            String before = assignments.put(id, a.node());
            if (before != null) {
                problems.add("request " + id + " assigned twice (" + before + ", " + a.node() + ")");
            }
        }
        for (Placement.Unplaced u : p.unplaced()) {
            if (u.request() < 0 || u.request() >= n) {
                problems.add("unplaced entry for request index " + u.request() + " of " + n);
                continue;
            }
            String id = workload.requests().get(u.request()).id();
            if (u.count() != 1) {
                problems.add("request " + id + " (one instance) reported " + u.count() + " unplaced");
            }
            if (unplaced.put(id, u.reason()) != null) {
                problems.add("request " + id + " reported unplaced twice");
            }
        }
    }

    private static Map<String, String> ordered(Workload workload, Map<String, String> byId) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Workload.Request r : workload.requests()) {
            String v = byId.get(r.id());
            if (v != null) {
                out.put(r.id(), v);
            }
        }
        return out;
    }

    /**
     * The one-line summary: requests, nodes, placed, unplaced, nodes used, the lower bound per
     * dimension, the median time and the rate (requests per second of the median run).
     */
    public static String summary(Workload workload, Result result) {
        int requests = workload.requests().size();
        int[] bounds = PlacementCheck.lowerBounds(workload, result.assignments());
        int lb = Arrays.stream(bounds).max().orElse(0);
        int used = PlacementCheck.nodesUsed(result.assignments());
        StringBuilder dims = new StringBuilder();
        for (int d = 0; d < bounds.length; d++) {
            dims.append(d == 0 ? "" : ",").append(workload.dimensions().get(d)).append('=').append(bounds[d]);
        }
        double ms = result.placeNanosMedian() / 1e6;
        double rate = result.placeNanosMedian() == 0 ? 0 : requests / (result.placeNanosMedian() / 1e9);
        String spread = workload.strategy() == Scheduler.Strategy.SPREAD
                ? String.format(Locale.ROOT, " loadMax/Min=%.3f", PlacementCheck.loadRatio(workload, result.assignments()))
                : "";
        return String.format(Locale.ROOT,
                "strategy=%s requests=%d nodes=%d placed=%d unplaced=%d used=%d lb=%d(%s%s) used/lb=%.4f%s median=%.2fms rate=%.0f/s reps=%d",
                workload.strategy().name().toLowerCase(Locale.ROOT), requests, workload.nodes().size(),
                result.assignments().size(), result.unplaced().size(), used, lb, dims,
                PlacementCheck.homogeneous(workload) ? "" : ",heterogeneous:largest-nodes-first",
                lb == 0 ? 1.0 : (double) used / lb, spread, ms, rate, result.repetitions());
    }

    /** The result as JSON text, for tests and tools. */
    static String json(Result result) {
        try {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            result.write(bytes);
            return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
