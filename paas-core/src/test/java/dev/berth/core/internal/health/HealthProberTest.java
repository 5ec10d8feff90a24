package dev.berth.core.internal.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.Endpoint;
import dev.berth.api.HealthCheck;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The prober against real sockets on 127.0.0.1: fast first probes, no starvation, no probing after implicit readiness. */
class HealthProberTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<HealthProber.Result> results = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();
    /** When the first healthy result of each instance arrived (System.nanoTime). */
    private final java.util.Map<String, Long> readyAt = new java.util.concurrent.ConcurrentHashMap<>();
    private HealthProber prober;

    @AfterEach
    void close() throws Exception {
        if (prober != null) {
            prober.close();
        }
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private static Endpoint ep(int port) {
        return new Endpoint("127.0.0.1", port);
    }

    /** A port that is reserved (bound) but not listening: every connect to it is refused. */
    private Socket reserved() throws IOException {
        Socket s = new Socket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        closing.add(s);
        return s;
    }

    /** A listener on {@code port} that accepts (and counts) every connection, closing it at once. */
    private AtomicInteger listen(int port) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        closing.add(server);
        AtomicInteger accepted = new AtomicInteger();
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket c = server.accept()) {
                    accepted.incrementAndGet();
                } catch (IOException e) {
                    return;
                }
            }
        }, "test-acceptor");
        t.setDaemon(true);
        t.start();
        return accepted;
    }

    private void record(HealthProber.Result r) {
        if (r.healthy()) {
            readyAt.putIfAbsent(r.instanceId(), System.nanoTime());
        }
        results.add(r);
    }

    private boolean healthy(String id) {
        return results.stream().anyMatch(r -> r.instanceId().equals(id) && r.healthy());
    }

    @Test
    void aReadinessProbeIsNotStarvedBySlowHttpProbes() throws Exception {
        // accepts into its backlog and never answers: every HTTP probe waits out its 2 s timeout
        ServerSocket hanging = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closing.add(hanging);
        prober = new HealthProber(2, this::record);
        HealthCheck slow = HealthCheck.http("/").withTimings(Duration.ofSeconds(2), Duration.ofSeconds(2));
        for (int i = 0; i < 4; i++) {
            prober.watch("slow-" + i, "h", ep(hanging.getLocalPort()), slow);
        }
        Thread.sleep(100); // the slow probes hold whatever threads HTTP probes run on
        AtomicInteger accepted = listen(0);
        int port = ((ServerSocket) closing.get(closing.size() - 1)).getLocalPort();

        long t0 = System.nanoTime();
        prober.watch("fresh", "h", ep(port), HealthCheck.none());
        await().atMost(WAIT).until(() -> healthy("fresh"));
        long tookMs = (readyAt.get("fresh") - t0) / 1_000_000;

        LoggerFactory.getLogger(HealthProberTest.class).info("readiness beside 4 hanging HTTP probes: {} ms", tookMs);
        assertThat(tookMs).as("ms until a listening instance is seen ready").isLessThan(300);
        assertThat(accepted.get()).isPositive();
    }

    @Test
    void anHttpCheckIsNotStarvedBySlowHttpProbesEither() throws Exception {
        // accepts every connection and never answers: each HTTP probe waits out its timeout
        ServerSocket hanging = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closing.add(hanging);
        List<Socket> held = new CopyOnWriteArrayList<>();
        Thread acceptor = new Thread(() -> {
            while (!hanging.isClosed()) {
                try {
                    Socket c = hanging.accept();
                    held.add(c);
                    closing.add(c);
                } catch (IOException e) {
                    return;
                }
            }
        }, "test-hanging");
        acceptor.setDaemon(true);
        acceptor.start();
        com.sun.net.httpserver.HttpServer fast = com.sun.net.httpserver.HttpServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        fast.createContext("/health", x -> {
            x.sendResponseHeaders(200, -1);
            x.close();
        });
        fast.start();
        closing.add(() -> fast.stop(0));
        prober = new HealthProber(2, this::record);
        HealthCheck slow = HealthCheck.http("/").withTimings(Duration.ofSeconds(2), Duration.ofSeconds(2));
        for (int i = 0; i < 4; i++) {
            prober.watch("slow-" + i, "h", ep(hanging.getLocalPort()), slow);
        }
        // four probes waiting out their 2 s timeout: more than there are threads for HTTP probes
        await().atMost(WAIT).until(() -> held.size() >= 4);

        long t0 = System.nanoTime();
        prober.watch("fresh", "h", ep(fast.getAddress().getPort()), HealthCheck.http("/health"));
        await().atMost(WAIT).until(() -> healthy("fresh"));
        long tookMs = (readyAt.get("fresh") - t0) / 1_000_000;

        LoggerFactory.getLogger(HealthProberTest.class).info("HTTP readiness beside 4 hanging HTTP probes: {} ms", tookMs);
        assertThat(tookMs).as("ms until an answering instance is seen ready").isLessThan(1000);
        assertThat(results).filteredOn(r -> r.instanceId().equals("fresh")).first()
                .satisfies(r -> assertThat(r.detail()).isEqualTo("GET /health answered 200"));
    }

    @Test
    void anInstanceThatListensSoonIsSeenReadyWithinTensOfMilliseconds() throws Exception {
        Socket reservation = reserved();
        int port = reservation.getLocalPort();
        prober = new HealthProber(2, this::record);

        long t0 = System.nanoTime();
        prober.watch("web-1", "h", ep(port), HealthCheck.none());
        Thread.sleep(150); // the app takes 150 ms to listen
        reservation.close();
        AtomicInteger accepted = listen(port);
        long listening = System.nanoTime();
        await().atMost(WAIT).until(() -> healthy("web-1"));
        long lagMs = (readyAt.get("web-1") - listening) / 1_000_000;

        long failed = results.stream().filter(r -> !r.healthy()).count();
        LoggerFactory.getLogger(HealthProberTest.class).info("listening after 150 ms: seen ready {} ms later, "
                + "after {} refused probes", lagMs, failed);
        assertThat(lagMs).as("ms from listening to ready").isLessThan(100);
        assertThat(failed).as("refused probes in 150 ms: the first at once, then every ~20 ms growing").isBetween(3L, 12L);
        assertThat(results.get(0).detail()).contains("127.0.0.1:" + port);
        // ready: the implicit check stops probing (no health check was asked for)
        int seen = accepted.get();
        Thread.sleep(1500);
        assertThat(accepted.get()).isEqualTo(seen);
        assertThat(results).filteredOn(HealthProber.Result::healthy).hasSize(1);
        assertThat((readyAt.get("web-1") - t0) / 1_000_000).as("ms from watch to ready").isLessThan(300);
    }

    @Test
    void anExplicitCheckGoesOnAtItsIntervalOnceReady() throws Exception {
        Socket reservation = reserved();
        int port = reservation.getLocalPort();
        prober = new HealthProber(2, this::record);
        prober.watch("web-1", "h", ep(port), HealthCheck.tcp().withTimings(Duration.ofMillis(300), Duration.ofMillis(100)));
        Thread.sleep(100);
        reservation.close();
        AtomicInteger accepted = listen(port);
        await().atMost(WAIT).until(() -> healthy("web-1"));

        Thread.sleep(1000);

        // about one probe per 300 ms after the first success, not the fast start-up pace
        assertThat(accepted.get()).isBetween(3, 6);
        prober.unwatch("web-1");
        int after = accepted.get();
        Thread.sleep(700);
        assertThat(accepted.get()).isLessThanOrEqualTo(after + 1);
    }
}
