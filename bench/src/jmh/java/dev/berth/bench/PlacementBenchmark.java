package dev.berth.bench;

import dev.berth.spi.ClusterSnapshot;
import dev.berth.spi.Placement;
import dev.berth.spi.PlacementRequest;
import dev.berth.spi.Scheduler;
import dev.berth.core.Schedulers;
import dev.berth.samples.PlacementWorkloads;
import dev.berth.samples.Workload;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmark of Berth's placement engine: one {@code place} call of the mixed-2d workload
 * ({@link PlacementWorkloads.Kind#MIXED_2D}, seed 1) with 1k, 10k and 100k requests on 10,000
 * nodes, for pack and spread. Workload generation and conversion happen in the trial set-up; the
 * measured operation is {@code scheduler.place(snapshot, requests)} alone, from the empty cluster
 * each time, in a JVM limited to 512 MB of heap.
 *
 * <pre>
 * mvn -B -q package -DskipTests -pl bench -am
 * java -jar bench/target/benchmarks.jar PlacementBenchmark
 * java -jar bench/target/benchmarks.jar PlacementBenchmark -p requests=100000 -p strategy=pack
 * </pre>
 *
 * <p>JMH state: one instance per trial, not shared between threads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m", "-Xms512m"})
public class PlacementBenchmark {

    /** Requests per placement call. */
    @Param({"1000", "10000", "100000"})
    public int requests;

    /** Nodes in the cluster. */
    @Param({"10000"})
    public int nodes;

    /** {@code pack} or {@code spread}. */
    @Param({"pack", "spread"})
    public String strategy;

    private Scheduler scheduler;
    private ClusterSnapshot snapshot;
    private List<PlacementRequest> batch;

    /** Generates and converts the workload, outside the measurement. */
    @Setup
    public void setUp() {
        Workload w = PlacementWorkloads.generate(PlacementWorkloads.Kind.MIXED_2D, nodes, requests, 1);
        scheduler = Schedulers.of(Scheduler.Strategy.valueOf(strategy.toUpperCase(java.util.Locale.ROOT)));
        snapshot = w.snapshot();
        batch = w.placementRequests();
    }

    /** One batch placement from the empty cluster. */
    @Benchmark
    public Placement place() {
        return scheduler.place(snapshot, batch);
    }
}
