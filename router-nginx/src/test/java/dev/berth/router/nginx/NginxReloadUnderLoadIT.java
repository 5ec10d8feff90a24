package dev.berth.router.nginx;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.Balance;
import dev.berth.api.Endpoint;
import dev.berth.api.RoutingTable;
import dev.berth.api.RoutingTable.Route;
import dev.berth.api.Traffic;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A domain's endpoints replaced one by one while clients keep requesting it, through the real nginx
 * (fails, never skips): not one request may fail, and the traffic the router counts must be exactly
 * what the clients received.
 *
 * <p>The load is bounded: {@value #CLIENTS} client threads, each pausing {@value #PAUSE_MS} ms
 * between requests and making at most {@value #MAX_PER_CLIENT}, for at most {@value #LOAD_LIMIT_S} s;
 * it stops by itself. Every request is a new connection with {@code Connection: close}. That is the
 * case a router must get right on its own: nginx's reload hands the listening socket over, so a
 * connection is answered by the old or the new workers but never refused or reset. A client that
 * reuses a keep-alive connection across a reload is another matter: the old workers close their
 * idle connections, and a request sent on one just then fails before any answer byte. HTTP leaves
 * that to the client (retry an idempotent request on a reused connection that closed before any
 * response byte, RFC 9110 9.2.2 / RFC 9112 9.3.1), so testing it would test the client. Connection
 * per request on loopback is cheap, and nginx closes first, so the TIME_WAIT sockets are nginx's and
 * the clients use up no ephemeral ports.
 */
class NginxReloadUnderLoadIT {
    private static final Logger LOG = LoggerFactory.getLogger(NginxReloadUnderLoadIT.class);
    private static final String DOMAIN = "load.test";
    private static final int CLIENTS = 24;
    private static final long PAUSE_MS = 10;
    private static final int MAX_PER_CLIENT = 600;
    private static final int LOAD_LIMIT_S = 14;
    private static final int ROUNDS = 8;
    private static final String PADDING = "x".repeat(64);

    @TempDir
    Path dir;

    private Fixtures fx;
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();

    @BeforeEach
    void fixtures() {
        fx = new Fixtures(dir);
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    @Test
    void replacingEndpointsOneByOneUnderLoadFailsNoRequestAndTrafficCountsEachOne() throws Exception {
        NginxRouter router = fx.router("nginx", b -> b);
        int port = Fixtures.httpPort(router);
        Deque<Endpoint> live = new ArrayDeque<>();
        Map<Endpoint, String> names = new ConcurrentHashMap<>();
        List<String> started = new ArrayList<>(); // by name: a later upstream may get a stopped one's port
        for (int i = 0; i < 3; i++) {
            Endpoint e = upstream("up-" + i);
            names.put(e, "up-" + i);
            started.add("up-" + i);
            live.add(e);
        }
        router.apply(table(live));

        AtomicBoolean enough = new AtomicBoolean();
        AtomicLong requests = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(LOAD_LIMIT_S).toNanos();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> load = new ArrayList<>();
        long loadStart = System.nanoTime();
        for (int c = 0; c < CLIENTS; c++) {
            load.add(clients.submit(() -> {
                for (int n = 0; n < MAX_PER_CLIENT && !enough.get() && System.nanoTime() < deadline; n++) {
                    try {
                        Fixtures.Response r = Fixtures.get(port, DOMAIN);
                        if (r.status() == 200 && r.body().matches("up-[0-9]+:" + PADDING)) {
                            requests.incrementAndGet();
                            bytes.addAndGet(r.size());
                        } else {
                            failures.add("status " + r.status() + ": " + r.body());
                        }
                    } catch (IOException e) {
                        failures.add(e.toString());
                    }
                    Thread.sleep(PAUSE_MS);
                }
                return null;
            }));
        }
        await().atMost(5, SECONDS).until(() -> requests.get() >= 200);

        List<Long> applyMs = new ArrayList<>();
        List<CompletableFuture<Void>> stopping = new ArrayList<>();
        for (int round = 1; round <= ROUNDS; round++) {
            String name = "up-" + (2 + round);
            Endpoint added = upstream(name);
            names.put(added, name);
            started.add(name);
            live.addLast(added);
            applyMs.add(timed(() -> router.apply(table(live))));
            Endpoint removed = live.removeFirst();
            applyMs.add(timed(() -> router.apply(table(live))));
            // apply has returned: no new connection reaches the old configuration; the instance
            // drains what it has (HttpServer.stop waits for exchanges in progress) and goes
            stopping.add(CompletableFuture.runAsync(() -> fx.stopUpstream(removed)));
        }
        String newest = names.get(live.getLast());
        await().atMost(5, SECONDS).until(() -> hits.get(newest).get() >= 20);
        boolean loadCoveredEveryReplacement = load.stream().noneMatch(Future::isDone);
        enough.set(true);
        for (Future<?> f : load) {
            f.get(30, SECONDS);
        }
        clients.shutdown();
        CompletableFuture.allOf(stopping.toArray(CompletableFuture[]::new)).get(30, SECONDS);
        long loadMs = (System.nanoTime() - loadStart) / 1_000_000;

        List<Long> sorted = applyMs.stream().sorted().toList();
        LOG.info("{} requests ({} bytes) by {} clients in {} ms over {} endpoint replacements, {} failed; apply "
                + "until only the new configuration serves: min {} ms, median {} ms, max {} ms (all: {})",
                requests.get(), bytes.get(), CLIENTS, loadMs, ROUNDS, failures.size(), sorted.get(0),
                sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), applyMs);
        assertThat(failures).as("failed requests").isEmpty();
        assertThat(loadCoveredEveryReplacement).as("the load still ran when the last replacement was done").isTrue();
        assertThat(requests.get()).as("requests answered").isGreaterThanOrEqualTo(1000);
        assertThat(hits.keySet()).containsExactlyInAnyOrderElementsOf(started);
        assertThat(hits).as("requests per endpoint").allSatisfy((n, c) -> assertThat(c.get()).as(n).isPositive());

        // the router counts exactly what the clients received (nginx logs after it answered)
        Traffic expected = new Traffic(requests.get(), bytes.get());
        await().atMost(10, SECONDS)
                .untilAsserted(() -> assertThat(router.traffic()).isEqualTo(Map.of(DOMAIN, expected)));
    }

    private static RoutingTable table(Deque<Endpoint> endpoints) {
        return new RoutingTable(Map.of(DOMAIN, new Route("loadapp", Balance.ROUND_ROBIN, List.copyOf(endpoints))));
    }

    /** An upstream that counts its requests and answers its name and some padding. */
    private Endpoint upstream(String name) throws IOException {
        AtomicInteger count = hits.computeIfAbsent(name, n -> new AtomicInteger());
        return fx.upstream(ex -> {
            ex.getRequestBody().readAllBytes();
            count.incrementAndGet();
            Fixtures.answer(ex, 200, name + ":" + PADDING);
        });
    }

    private static long timed(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
