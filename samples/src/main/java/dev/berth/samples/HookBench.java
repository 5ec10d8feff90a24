// HookBench: the hook queue's throughput to a no-op module over many apps, and the lag from an instance ready to its UP at a webhook.
package dev.berth.samples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.berth.api.AppSpec;
import dev.berth.api.HookJob;
import dev.berth.api.PlatformEvent;
import dev.berth.api.NodeSpec;
import dev.berth.core.Platform;
import dev.berth.hooks.Hooks;
import dev.berth.hooks.WebhookModule;
import dev.berth.spi.HookModule;
import dev.berth.testkit.SimBackend;
import dev.berth.testkit.SimStateStore;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Two figures of the hook modules, over a {@link SimBackend} platform (starts cost nothing):
 *
 * <pre>
 * java -cp "samples/target/classes:$(cat samples/target/classpath.txt)" dev.berth.samples.HookBench
 *     [--apps 1000] [--instances 10] [--lag-apps 200] [--parallelism 4]
 * </pre>
 *
 * <ol>
 *   <li>throughput: a no-op module's preset enabled for {@code apps} apps ({@code presetCallsMs},
 *       each saved to a real {@code hooks.json}), then the apps deployed with {@code instances}
 *       each: {@code allReadyMs} until every instance is ready, {@code allHandledMs} until the
 *       module handled every UP job, {@code jobsPerSecond} = jobs / allHandledMs (the queue keeps
 *       up when the two times are close);</li>
 *   <li>lag: webhook presets for {@code lag-apps} new apps of 5 instances, then the apps deployed
 *       one every 25 ms; a receiver on 127.0.0.1 notes, for each UP, the time from the platform
 *       seeing the instance ready (the job's {@code at}) to the POST arriving: {@code lagP50Ms},
 *       {@code lagP99Ms}.</li>
 * </ol>
 * Prints one JSON line. Exit code 0, or 1 when a part did not finish within 5 minutes.
 */
@Command(name = "HookBench", mixinStandardHelpOptions = true,
        description = "Measures the hook queue: jobs/s to a no-op module, and ready-to-webhook lag.")
public final class HookBench implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long LIMIT_NANOS = Duration.ofMinutes(5).toNanos();
    /** The time between two deploys of the lag part. */
    private static final long LAG_SPACING_MS = 25;

    @Option(names = "--apps", defaultValue = "1000", description = "apps for the throughput part (default ${DEFAULT-VALUE})")
    int apps;

    @Option(names = "--instances", defaultValue = "10", description = "instances per app (default ${DEFAULT-VALUE})")
    int instances;

    @Option(names = "--lag-apps", defaultValue = "200", description = "apps of 5 instances for the lag part (default ${DEFAULT-VALUE})")
    int lagApps;

    @Option(names = "--parallelism", defaultValue = "4", description = "lanes run at once (default ${DEFAULT-VALUE})")
    int parallelism;

    private final PrintStream out;
    /** InstanceHealthy events so far: counted by a listener, as polling every record would cost the loop. */
    private final java.util.concurrent.atomic.AtomicLong healthy = new java.util.concurrent.atomic.AtomicLong();

    HookBench(PrintStream out) {
        this.out = out;
    }

    /** Runs it, logging at WARN unless set otherwise. */
    public static void main(String[] args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(new CommandLine(new HookBench(System.out)).execute(args));
    }

    /** The no-op module: every job succeeds at once. */
    private static final class Noop implements HookModule {
        @Override
        public String name() {
            return "noop";
        }

        @Override
        public void validate(Map<String, Object> options) {
            // no options
        }

        @Override
        public void handle(HookJob job, Map<String, Object> options) {
            // nothing: the queue's own cost is measured
        }
    }

    @Override
    public Integer call() throws Exception {
        if (apps < 1 || apps > 100_000 || instances < 1 || instances > 100 || lagApps < 1 || lagApps > 10_000) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--apps 1-100000, --instances 1-100, --lag-apps 1-10000");
        }
        Path dir = Files.createTempDirectory("berth-hook-bench");
        List<NodeSpec> specs = ApiBench.simNodes(Math.max(1, (apps * instances + lagApps * 5) / 100));
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("benchmark", "hooks");
        boolean completed;
        try (SimBackend sim = SimBackend.builder().nodes(specs.stream().map(NodeSpec::id).toList()).build();
             Platform platform = Platform.builder().cluster(specs).backend(sim).stateStore(new SimStateStore())
                     .dataDir(dir).listener(e -> {
                         if (e instanceof PlatformEvent.InstanceHealthy) {
                             healthy.incrementAndGet();
                         }
                     }).build();
             Hooks hooks = Hooks.builder().platform(platform).module(new Noop()).module(new WebhookModule())
                     .parallelism(parallelism).stateFile(dir.resolve("hooks.json")).build()) {
            completed = throughput(platform, hooks, line) && lag(platform, hooks, line);
        } finally {
            dev.berth.support.AtomicFiles.deleteTree(dir);
        }
        line.put("completed", completed);
        out.println(JSON.writeValueAsString(line));
        return completed ? 0 : 1;
    }

    private boolean throughput(Platform platform, Hooks hooks, Map<String, Object> line) {
        long p0 = System.nanoTime();
        for (int i = 0; i < apps; i++) {
            hooks.setPreset("noop", "app-" + i, true, Map.of());
        }
        long presetsNanos = System.nanoTime() - p0;
        long total = (long) apps * instances;
        long t0 = System.nanoTime();
        for (int i = 0; i < apps; i++) {
            platform.deploy(AppSpec.builder("app-" + i).command("run").instances(instances).build());
        }
        long[] healthyAt = new long[1];
        boolean done = until(() -> {
            if (healthyAt[0] == 0 && healthy.get() >= total) {
                healthyAt[0] = System.nanoTime();
            }
            return hooks.handled() >= total;
        });
        long end = System.nanoTime();
        line.put("apps", apps);
        line.put("jobs", total);
        line.put("parallelism", parallelism);
        line.put("presetCallsMs", Math.round(presetsNanos / 1e6));
        line.put("allReadyMs", healthyAt[0] == 0 ? null : Math.round((healthyAt[0] - t0) / 1e6));
        line.put("allHandledMs", Math.round((end - t0) / 1e6));
        line.put("jobsPerSecond", Math.round(total / ((end - t0) / 1e9)));
        return done;
    }

    private boolean lag(Platform platform, Hooks hooks, Map<String, Object> line) throws Exception {
        ConcurrentLinkedQueue<Long> lags = new ConcurrentLinkedQueue<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
        receiver.createContext("/hook", ex -> {
            JsonNode job = JSON.readTree(ex.getRequestBody().readAllBytes());
            if (job.path("type").asText().equals("UP")) {
                lags.add(Duration.between(Instant.parse(job.path("at").asText()), Instant.now()).toNanos());
            }
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        receiver.start();
        try {
            Map<String, Object> options = Map.of("url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook",
                    "secret", "hook-bench-secret-0123456789");
            for (int i = 0; i < lagApps; i++) {
                hooks.setPreset("webhook", "lag-" + i, true, options);
            }
            for (int i = 0; i < lagApps; i++) { // spread out, so that the lag is the pipeline's, not a backlog's
                platform.deploy(AppSpec.builder("lag-" + i).command("run").instances(5).build());
                LockSupport.parkNanos(Duration.ofMillis(LAG_SPACING_MS).toNanos());
            }
            boolean done = until(() -> lags.size() >= lagApps * 5);
            long[] sorted = lags.stream().mapToLong(Long::longValue).sorted().toArray();
            line.put("lagUps", sorted.length);
            line.put("lagP50Ms", Math.round(ScaleRun.percentile(sorted, 0.50) / 1e5) / 10.0);
            line.put("lagP99Ms", Math.round(ScaleRun.percentile(sorted, 0.99) / 1e5) / 10.0);
            return done;
        } finally {
            receiver.stop(0);
            ((java.util.concurrent.ExecutorService) receiver.getExecutor()).shutdownNow();
        }
    }

    private static boolean until(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + LIMIT_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
        }
        return true;
    }
}
