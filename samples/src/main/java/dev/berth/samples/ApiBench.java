// ApiBench: the control API's request throughput (GET /v1/apps over many apps) and event-stream throughput (events/s to many SSE clients).
package dev.berth.samples;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.AppSpec;
import dev.berth.api.Instances;
import dev.berth.api.NodeSpec;
import dev.berth.api.PlatformListener;
import dev.berth.api.Resources;
import dev.berth.core.Platform;
import dev.berth.server.ControlServer;
import dev.berth.server.Tokens;
import dev.berth.testkit.SimBackend;
import dev.berth.testkit.SimStateStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Measures the control API on loopback, over a platform of {@code --apps} apps of one instance on
 * the in-memory {@link SimBackend} (so the API, not the backend, is measured), and prints one JSON
 * line: {@code GET /v1/apps} answered per second by {@code --clients} clients for
 * {@code --seconds}, and the events per second that each of {@code --sse-clients} event streams
 * received while the apps were scaled up and down, until every stream had every event.
 */
@Command(name = "ApiBench", mixinStandardHelpOptions = true,
        description = "Control API throughput: GET /v1/apps with many apps, and events/s to SSE clients; one JSON line.")
public final class ApiBench implements Callable<Integer> {
    private static final String TOKEN = "api-bench-token-0123456789";

    @Option(names = "--apps", defaultValue = "1000", description = "apps of one instance each (default ${DEFAULT-VALUE})")
    int apps;
    @Option(names = "--clients", defaultValue = "4", description = "concurrent GET clients (default ${DEFAULT-VALUE})")
    int clients;
    @Option(names = "--sse-clients", defaultValue = "10", description = "event stream clients (default ${DEFAULT-VALUE})")
    int sseClients;
    @Option(names = "--seconds", defaultValue = "10", description = "each measurement's length (default ${DEFAULT-VALUE})")
    int seconds;

    private final PrintStream out;

    public ApiBench() {
        this(System.out);
    }

    ApiBench(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ApiBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (apps < 1 || apps > 100_000 || clients < 1 || clients > 64 || sseClients < 1 || sseClients > 100
                || seconds < 1 || seconds > 600) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--apps 1-100000, --clients 1-64, --sse-clients 1-100, --seconds 1-600");
        }
        Path dir = Files.createTempDirectory("berth-api-bench");
        List<NodeSpec> specs = simNodes(Math.max(1, apps / 100));
        try (SimBackend sim = SimBackend.builder().nodes(specs.stream().map(NodeSpec::id).toList()).build();
             Platform platform = Platform.builder().cluster(specs).backend(sim).stateStore(new SimStateStore())
                     .dataDir(dir).build()) {
            for (int i = 0; i < apps; i++) {
                platform.deploy(AppSpec.builder("app-" + i).command("run").instances(1).build());
            }
            try (ControlServer api = ControlServer.builder().platform(platform).bind("127.0.0.1", 0)
                    .tokens(Tokens.admin(TOKEN)).heartbeat(Duration.ofMillis(500)).build()) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("benchmark", "api");
                line.put("apps", apps);
                line.put("clients", clients);
                line.put("getAppsPerSecond", getApps(api));
                line.put("sseClients", sseClients);
                line.putAll(events(api, platform));
                line.putAll(throughFollower(api));
                out.println(new ObjectMapper().writeValueAsString(line));
            }
        } finally {
            dev.berth.support.AtomicFiles.deleteTree(dir);
        }
        return 0;
    }

    /** GET /v1/apps answered per second by {@link #clients} clients (each answer checked to hold every app). */
    /** {@code count} simulated nodes {@code n0, n1, ...}, each large enough for any of these benchmarks' loads. */
    static List<NodeSpec> simNodes(int count) {
        List<NodeSpec> specs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            specs.add(NodeSpec.of("n" + i, Resources.of(1000, 1 << 20)));
        }
        return specs;
    }

    /**
     * The latency of {@code GET /v1/apps/app-0} from one client, straight to the leader and through
     * a follower that forwards it (1,000 calls each after 200 to warm up): p50 and p99 in ms.
     */
    private static Map<String, Object> throughFollower(ControlServer api) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        try (ControlServer follower = ControlServer.builder().bind("127.0.0.1", 0)
                .follower(() -> java.util.Optional.of(api.url())).build()) {
            java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                    .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
            for (ControlServer to : List.of(api, follower)) {
                long[] nanos = new long[1000];
                for (int i = -200; i < nanos.length; i++) {
                    long t0 = System.nanoTime();
                    java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                                    java.net.URI.create(to.url() + "/v1/apps/app-0")).header("Authorization", "Bearer " + TOKEN).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("GET /v1/apps/app-0 answered " + r.statusCode());
                    }
                    if (i >= 0) {
                        nanos[i] = System.nanoTime() - t0;
                    }
                }
                java.util.Arrays.sort(nanos);
                String who = to == api ? "leader" : "follower";
                m.put(who + "GetP50Ms", Math.round(ScaleRun.percentile(nanos, 0.50) / 1e4) / 100.0);
                m.put(who + "GetP99Ms", Math.round(ScaleRun.percentile(nanos, 0.99) / 1e4) / 100.0);
            }
        }
        return m;
    }

    private long getApps(ControlServer api) throws InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest req = HttpRequest.newBuilder(URI.create(api.url() + "/v1/apps"))
                .header("Authorization", "Bearer " + TOKEN).build();
        AtomicLong ok = new AtomicLong();
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                while (System.nanoTime() < end) {
                    try {
                        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200 && r.body().contains("\"app-" + (apps - 1) + "\"")) {
                            ok.incrementAndGet();
                        }
                    } catch (Exception e) {
                        return; // counted as nothing
                    }
                }
            }, "api-bench-get-" + c);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        return ok.get() / seconds;
    }

    /**
     * Events per second each stream received while the apps were scaled up and down for
     * {@link #seconds}, timed until every stream has every event the platform emitted meanwhile.
     */
    private Map<String, Object> events(ControlServer api, Platform platform) throws Exception {
        List<AtomicLong> counts = new ArrayList<>();
        List<Socket> sockets = new ArrayList<>();
        CountDownLatch opened = new CountDownLatch(sseClients);
        for (int c = 0; c < sseClients; c++) {
            AtomicLong n = new AtomicLong();
            counts.add(n);
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", api.port()), 5000);
            s.getOutputStream().write(("GET /v1/events HTTP/1.0\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            sockets.add(s);
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l = in.readLine(); l != null; l = in.readLine()) {
                        if (l.startsWith("id: ")) {
                            n.incrementAndGet();
                        } else if (l.startsWith(": berth events after")) {
                            opened.countDown(); // the stream is open: it gets every event from now on
                        }
                    }
                } catch (java.io.IOException e) {
                    // closed at the end
                }
            }, "api-bench-sse-" + c);
            reader.setDaemon(true);
            reader.start();
        }
        if (!opened.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the event streams did not open within 30 s");
        }
        AtomicLong emitted = new AtomicLong();
        PlatformListener counter = e -> emitted.incrementAndGet();
        platform.addListener(counter);
        long start = System.nanoTime();
        long end = start + Duration.ofSeconds(seconds).toNanos();
        int round = 0;
        while (System.nanoTime() < end) {
            platform.scale("app-" + (round % apps), Instances.of(round / apps % 2 == 0 ? 2 : 1));
            round++;
        }
        platform.removeListener(counter);
        long caughtUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (counts.stream().anyMatch(n -> n.get() < emitted.get())) { // the last events reach every stream
            if (System.nanoTime() > caughtUp) {
                throw new IllegalStateException("the event streams did not get every event within 30 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        for (Socket s : sockets) {
            s.close();
        }
        long min = counts.stream().mapToLong(AtomicLong::get).min().orElse(0);
        long total = counts.stream().mapToLong(AtomicLong::get).sum();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scaleCalls", round);
        m.put("events", emitted.get());
        // rates are floored, so the all-clients rate is never below the slowest client's times the clients
        m.put("eventsPerSecondPerClient", (long) (min / elapsed));
        m.put("eventsPerSecondAllClients", (long) (total / elapsed));
        return m;
    }
}
