// JMH benchmark of the control loop's common placement: one instance on a large cluster that changed on one node since the last call.
package dev.berth.bench;

import dev.berth.spi.ClusterSnapshot;
import dev.berth.api.Constraints;
import dev.berth.api.NodeSpec;
import dev.berth.spi.Placement;
import dev.berth.spi.PlacementRequest;
import dev.berth.api.Resources;
import dev.berth.spi.Scheduler;
import dev.berth.core.Schedulers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
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
 * JMH benchmark of what the control loop asks of the placement engine most often: place one
 * instance (0.25 cpu / 256 MiB) on {@code nodes} nodes of 16 cpu / 64 GiB that already run 10
 * instances each, where the snapshot differs from the previous call's by one node (the loop's
 * {@code NodeStates} rebuilds only the nodes whose instances changed; untouched nodes keep their
 * identity). Each operation changes the next node (an instance added or removed there) and places
 * one request on the kept scheduler, so it measures the incremental path: the diff by node
 * identity, the index update and one pick. Building the snapshot's node list is included.
 *
 * <pre>
 * mvn -B -q package -DskipTests -pl bench -am
 * java -jar bench/target/benchmarks.jar SinglePlacementBenchmark
 * </pre>
 *
 * <p>JMH state: one instance per trial, not shared between threads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Xms1g"})
public class SinglePlacementBenchmark {
    private static final Resources SMALL = Resources.of(0.25, 256);

    /** Nodes in the cluster. */
    @Param({"1000", "10000"})
    public int nodes;

    /** {@code pack} or {@code spread}. */
    @Param({"pack", "spread"})
    public String strategy;

    private Scheduler scheduler;
    private ClusterSnapshot.NodeState[] states;
    /** Each node's state without and with the one extra instance the benchmark toggles. */
    private ClusterSnapshot.NodeState[][] toggles;
    private boolean[] extra;
    private List<PlacementRequest> one;
    private int next;

    /** Builds the cluster and makes the scheduler index it once, outside the measurement. */
    @Setup
    public void setUp() {
        scheduler = Schedulers.of(Scheduler.Strategy.valueOf(strategy.toUpperCase(Locale.ROOT)));
        states = new ClusterSnapshot.NodeState[nodes];
        toggles = new ClusterSnapshot.NodeState[nodes][];
        extra = new boolean[nodes];
        for (int i = 0; i < nodes; i++) {
            NodeSpec spec = NodeSpec.of(String.format("n%05d", i), Resources.of(16, 64 * 1024));
            List<ClusterSnapshot.Allocation> there = new ArrayList<>();
            for (int k = 0; k < 10; k++) {
                int app = (i * 10 + k) % nodes;
                there.add(new ClusterSnapshot.Allocation("app" + app, "app" + app + "-" + i + "-" + k, SMALL));
            }
            List<ClusterSnapshot.Allocation> more = new ArrayList<>(there);
            more.add(new ClusterSnapshot.Allocation("web", "web-" + i, SMALL));
            toggles[i] = new ClusterSnapshot.NodeState[] {
                new ClusterSnapshot.NodeState(spec, true, there), new ClusterSnapshot.NodeState(spec, true, more)};
            states[i] = toggles[i][0];
        }
        one = List.of(PlacementRequest.of("web", SMALL, Constraints.none(), 1));
        scheduler.place(new ClusterSnapshot(Arrays.asList(states)), one); // the first call indexes every node
    }

    /** One node changed since the last call, then one instance placed. */
    @Benchmark
    public Placement placeOneAfterOneNodeChanged() {
        int i = next;
        next = (next + 1) % nodes;
        extra[i] = !extra[i];
        states[i] = toggles[i][extra[i] ? 1 : 0];
        return scheduler.place(new ClusterSnapshot(Arrays.asList(states)), one);
    }
}
