// One ScaleBench platform: a SimBackend cluster in a temporary state dir, and the measurements run on it.
package dev.berth.samples;

import dev.berth.api.AppSpec;
import dev.berth.api.Instances;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.api.Routing;
import dev.berth.core.Platform;
import dev.berth.core.PlatformBuilder;
import dev.berth.testkit.SimBackend;
import dev.berth.testkit.SimRouter;
import dev.berth.testkit.SimStateStore;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A platform built for one workload through the public API only ({@code Platform.builder()},
 * {@code deploy}, {@code scale}, a listener; no router), over a {@link SimBackend} with one
 * simulated node per cluster node, in a temporary state dir deleted on {@link #close()}. Its
 * measurements return the fields of one ScaleBench JSON line. Not thread-safe: one caller.
 */
final class ScaleRun implements AutoCloseable {
    private static final long PROGRESS_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** How many times a scale workload adds one instance. */
    static final int SCALE_SAMPLES = 21;

    private final ScaleWorkload workload;
    private final PrintStream progress;
    private final Path dir;
    private final String store;
    private final StartCounter counter = new StartCounter();
    private final Platform platform;
    private final SimBackend sim;
    /** With {@code --router}: the port every instance's readiness check connects to, and the router; else null. */
    private final AcceptingPort ready;
    private final SimRouter router;
    private boolean completed;

    private ScaleRun(ScaleWorkload workload, boolean memoryStore, boolean routed, PrintStream progress)
            throws IOException {
        this.workload = workload;
        this.ready = routed ? new AcceptingPort() : null;
        this.router = routed ? new SimRouter() : null;
        this.store = memoryStore ? "memory" : "file";
        this.progress = progress;
        this.dir = Files.createTempDirectory("berth-scalebench-");
        List<NodeSpec> nodes = new ArrayList<>(workload.nodes());
        List<String> ids = new ArrayList<>(workload.nodes());
        Resources capacity = Resources.of(ScaleWorkload.NODE_CPU, ScaleWorkload.NODE_MEMORY_MB);
        for (int i = 0; i < workload.nodes(); i++) {
            ids.add(ScaleWorkload.nodeId(i));
            nodes.add(NodeSpec.of(ScaleWorkload.nodeId(i), capacity));
        }
        SimBackend sim = SimBackend.builder().nodes(ids).build();
        try {
            PlatformBuilder b = Platform.builder().cluster(nodes).backend(sim).listener(counter)
                    .nodeDownAfter(ScaleWorkload.NODE_DOWN_AFTER);
            if (router != null) {
                b.router(router);
            }
            if (memoryStore) {
                b.stateStore(new SimStateStore()).dataDir(dir);
            } else {
                b.stateDir(dir);
            }
            this.platform = b.build();
            this.sim = sim;
        } catch (RuntimeException e) {
            sim.close();
            if (ready != null) {
                ready.close();
            }
            delete(dir);
            throw e;
        }
    }

    /**
     * A platform for {@code workload} (a plain one: its apps are not deployed yet), with the default
     * file state store or, with {@code memoryStore}, a {@link SimStateStore}.
     */
    static ScaleRun open(ScaleWorkload workload, boolean memoryStore, boolean routed, PrintStream progress) {
        try {
            return new ScaleRun(workload, memoryStore, routed, progress);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary state dir: " + e.getMessage(), e);
        }
    }

    ScaleWorkload workload() {
        return workload;
    }

    /** Whether {@link #deployAll} saw every instance started. */
    boolean completed() {
        return completed;
    }

    /**
     * Deploys the workload's apps one after the other from this thread and waits for every
     * instance's InstanceStarted event, at most {@code timeoutNanos} from the first deploy call.
     */
    Map<String, Object> deployAll(long timeoutNanos) throws InterruptedException {
        int total = workload.instances();
        counter.expect(null, total);
        Resources each = Resources.of(workload.instanceCpu(), ScaleWorkload.INSTANCE_MEMORY_MB);
        long[] latencies = new long[workload.apps()];
        int calls = 0;
        long t0 = System.nanoTime();
        long deadline = t0 + timeoutNanos;
        long nextReport = t0 + PROGRESS_NANOS;
        for (int i = 0; i < workload.apps() && System.nanoTime() - deadline < 0; i++) {
            AppSpec.Builder app = AppSpec.builder(ScaleWorkload.appName(i)).command("sleep", "infinity")
                    .instances(workload.perApp()).resources(each);
            if (ready != null) { // every instance answers readiness on the one accepting port; a domain per app
                app.env(AppSpec.PORT, Integer.toString(ready.port()))
                        .routing(Routing.of(ScaleWorkload.appName(i) + ".scale.test"));
            }
            AppSpec spec = app.build();
            long s = System.nanoTime();
            platform.deploy(spec);
            latencies[calls++] = System.nanoTime() - s;
            if (System.nanoTime() - nextReport >= 0) {
                report(t0, calls + " of " + workload.apps() + " deploy calls returned");
                nextReport = System.nanoTime() + PROGRESS_NANOS;
            }
        }
        completed = calls == workload.apps()
                && counter.await(deadline, PROGRESS_NANOS, () -> report(t0, "all deploy calls returned"));
        long end = completed ? counter.reachedAt() : System.nanoTime();
        return line(workload.name(), workload.apps(), total, t0, end, Arrays.copyOf(latencies, calls));
    }

    /**
     * Scales the first app of this (completed) run up by one instance, {@link #SCALE_SAMPLES} times
     * one after the other, each time waiting for the new instance's InstanceStarted event (at most
     * {@code timeoutNanos} in all); reported under {@code name}: {@code ms} is the median time from
     * the call to the start, {@code p99Ms} and {@code maxMs} the slowest (with 21 samples, p99 is the
     * slowest), deploy p50/p99 those of the {@code scale} calls.
     */
    Map<String, Object> scaleOne(String name, long timeoutNanos) throws InterruptedException {
        String app = ScaleWorkload.appName(0);
        long deadline = System.nanoTime() + timeoutNanos;
        long[] latencies = new long[SCALE_SAMPLES];
        long[] startedAfter = new long[SCALE_SAMPLES];
        boolean done = true;
        int n = 0;
        for (; n < SCALE_SAMPLES && done; n++) {
            counter.expect(app, 1);
            long t0 = System.nanoTime();
            platform.scale(app, Instances.of(workload.perApp() + n + 1));
            latencies[n] = System.nanoTime() - t0;
            done = counter.await(deadline, PROGRESS_NANOS, () -> report(t0, "scaled " + app));
            startedAfter[n] = (done ? counter.reachedAt() : System.nanoTime()) - t0;
        }
        long[] sorted = Arrays.copyOf(startedAfter, n);
        Arrays.sort(sorted);
        Map<String, Object> line = line(name, 1, n, 0, percentile(sorted, 0.5), Arrays.copyOf(latencies, n));
        line.put("completed", done);
        line.put("started", done ? n : n - 1); // instancesPerSecond stays that of one instance: 1 / the median
        line.put("samples", n);
        line.put("p99Ms", round(percentile(sorted, 0.99) / 1e6));
        line.put("maxMs", round(sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6));
        return line;
    }

    /**
     * Cuts off the node running the most instances of this (completed) run and waits until as many
     * InstanceStarted events as it ran, at most {@code timeoutNanos}; reported under {@code name},
     * with the part of the time beyond {@link ScaleWorkload#NODE_DOWN_AFTER} (when the node is
     * declared down) as {@code beyondNodeDownAfterMs}.
     */
    Map<String, Object> nodeDown(String name, long timeoutNanos) throws InterruptedException {
        String fullest = null;
        int most = -1;
        for (int i = 0; i < workload.nodes(); i++) {
            int there = sim.runningOn(ScaleWorkload.nodeId(i)).size();
            if (there > most) {
                most = there;
                fullest = ScaleWorkload.nodeId(i);
            }
        }
        String node = fullest;
        counter.expect(null, most);
        long t0 = System.nanoTime();
        sim.setNodeAlive(node, false);
        boolean done = counter.await(t0 + timeoutNanos, PROGRESS_NANOS, () -> report(t0, "cut off " + node));
        long end = done ? counter.reachedAt() : System.nanoTime();
        Map<String, Object> line = line(name, workload.apps(), most, t0, end, new long[0]);
        line.put("completed", done);
        line.put("node", node);
        line.put("nodeDownAfterMs", ScaleWorkload.NODE_DOWN_AFTER.toMillis());
        line.put("beyondNodeDownAfterMs", round((end - t0) / 1e6 - ScaleWorkload.NODE_DOWN_AFTER.toMillis()));
        return line;
    }

    /** The line of a workload whose base did not complete: nothing measured. */
    static Map<String, Object> notRun(ScaleWorkload w, String why) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("workload", w.name());
        line.put("apps", w.apps());
        line.put("instances", w.instances());
        line.put("nodes", w.nodes());
        line.put("completed", false);
        line.put("started", 0);
        line.put("reason", why);
        return line;
    }

    private Map<String, Object> line(String name, int apps, int instances, long t0, long end, long[] latencies) {
        long started = counter.count();
        double ms = (end - t0) / 1e6;
        Arrays.sort(latencies);
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("workload", name);
        line.put("apps", apps);
        line.put("instances", instances);
        line.put("nodes", workload.nodes());
        line.put("store", store);
        line.put("router", router != null);
        line.put("completed", completed);
        line.put("started", started);
        line.put("ms", round(ms));
        line.put("instancesPerSecond", ms <= 0 ? 0 : round(started / (ms / 1000)));
        line.put("deployCalls", latencies.length);
        line.put("deployP50Ms", round(percentile(latencies, 0.50) / 1e6));
        line.put("deployP99Ms", round(percentile(latencies, 0.99) / 1e6));
        line.put("heapUsedAfterGcMb", heapAfterGcMb());
        return line;
    }

    private void report(long t0, String what) {
        progress.printf("ScaleBench: %s: %.0f s: %s; %d of the instances started%n", workload.name(),
                (System.nanoTime() - t0) / 1e9, what, counter.count());
    }

    /** The nearest-rank percentile of sorted values; 0 when there are none. */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** The heap in use, in MiB, right after a full collection requested twice. */
    private static long heapAfterGcMb() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024 * 1024);
    }

    /** Closes the platform (the simulated instances die with the JVM) and deletes the state dir. */
    @Override
    public void close() {
        try {
            platform.close();
        } finally {
            if (ready != null) {
                ready.close();
            }
            delete(dir);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
