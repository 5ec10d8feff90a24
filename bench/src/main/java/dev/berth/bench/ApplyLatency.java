// Measures how long HaproxyRouter.apply takes to make a change serve, against a real haproxy: a benchmark helper.
package dev.berth.bench;

import com.sun.net.httpserver.HttpServer;
import dev.berth.api.Balance;
import dev.berth.api.BerthException;
import dev.berth.api.Endpoint;
import dev.berth.api.RoutingTable;
import dev.berth.api.RoutingTable.Route;
import dev.berth.router.haproxy.HaproxyRouter;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Measures, against a real haproxy that it starts under a work directory, how long
 * {@link HaproxyRouter#apply} takes to make a change serve: for an endpoint change (Runtime API)
 * from the call until the first request answered by the new endpoint, and for an added domain
 * (reload) until the first request to it is answered. For benchmark programs; not part of the
 * routing API. Starts two tiny HTTP servers on 127.0.0.1 and stops everything before returning.
 * Stateless: each call has its own haproxy and servers, so calls may run concurrently (on
 * different work directories), though they then measure each other.
 */
public final class ApplyLatency {
    private static final String DOMAIN = "bench.test";
    private static final String ADDED = "bench-added.test";
    private static final long SERVE_TIMEOUT_NANOS = Duration.ofSeconds(10).toNanos();

    /**
     * One measured change. Immutable.
     *
     * @param apply   until {@code apply} returned
     * @param serving until the first request saw the change
     */
    public record Sample(Duration apply, Duration serving) {
    }

    /** The samples of both kinds of change, in the order measured. Immutable. */
    public record Result(List<Sample> runtimeApi, List<Sample> reload) {
        public Result {
            runtimeApi = List.copyOf(runtimeApi);
            reload = List.copyOf(reload);
        }

        /** The {@code p}-quantile (0-1) of the samples' times until serving. */
        public static Duration quantile(List<Sample> samples, double p) {
            if (samples.isEmpty()) {
                return Duration.ZERO;
            }
            List<Duration> sorted = new ArrayList<>(samples.stream().map(Sample::serving).toList());
            Collections.sort(sorted);
            return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
        }

        @Override
        public String toString() {
            return "runtime API: " + summary(runtimeApi) + "; reload: " + summary(reload);
        }

        private static String summary(List<Sample> samples) {
            List<Duration> applies = new ArrayList<>(samples.stream().map(Sample::apply).toList());
            Collections.sort(applies);
            return samples.size() + " changes, apply() median " + (applies.isEmpty() ? 0
                    : micros(applies.get(applies.size() / 2))) + " us; until serving median "
                    + micros(quantile(samples, 0.5)) + " us, p90 " + micros(quantile(samples, 0.9)) + " us, max "
                    + micros(quantile(samples, 1.0)) + " us";
        }

        private static long micros(Duration d) {
            return d.toNanos() / 1_000;
        }
    }

    private ApplyLatency() {
    }

    /**
     * Starts haproxy under {@code workDir} (an owned {@link HaproxyRouter} on free ports of
     * 127.0.0.1), makes {@code rounds} endpoint changes and {@code rounds} reloads (after a few
     * unmeasured ones), measures each, and stops everything.
     */
    public static Result measure(Path workDir, int rounds) {
        Objects.requireNonNull(workDir, "workDir");
        if (rounds < 1 || rounds > 100_000) {
            throw new IllegalArgumentException("rounds: " + rounds + " is not allowed; must be 1-100000");
        }
        List<HttpServer> servers = new ArrayList<>();
        try {
            Endpoint x = upstream("x", servers);
            Endpoint y = upstream("y", servers);
            int port = freePort();
            try (HaproxyRouter router = HaproxyRouter.builder().prefix(workDir).httpPort(port)
                    .httpsPort(freePort()).build()) {
                router.apply(table(x, false));
                List<Sample> runtime = new ArrayList<>();
                List<Sample> reload = new ArrayList<>();
                int warmUp = Math.min(5, rounds);
                for (int i = 0; i < warmUp + rounds; i++) {
                    boolean toY = i % 2 == 0;
                    Sample s = change(router, table(toY ? y : x, false), port, DOMAIN, toY ? "y" : "x");
                    if (router.lastApplyPath() != HaproxyRouter.ApplyPath.RUNTIME_API) {
                        throw new IllegalStateException("an endpoint change took the path " + router.lastApplyPath());
                    }
                    if (i >= warmUp) {
                        runtime.add(s);
                    }
                }
                Endpoint last = (warmUp + rounds) % 2 == 0 ? x : y;
                String lastName = last == x ? "x" : "y";
                for (int i = 0; i < warmUp + rounds; i++) {
                    boolean add = i % 2 == 0;
                    Sample s = change(router, table(last, add), port, ADDED, add ? lastName : "404");
                    if (router.lastApplyPath() != HaproxyRouter.ApplyPath.RELOAD) {
                        throw new IllegalStateException("a domain change took the path " + router.lastApplyPath());
                    }
                    if (i >= warmUp) {
                        reload.add(s);
                    }
                }
                return new Result(runtime, reload);
            }
        } catch (IOException e) {
            throw new BerthException("apply latency: " + e.getMessage(), e);
        } finally {
            servers.forEach(s -> s.stop(0));
        }
    }

    private static RoutingTable table(Endpoint e, boolean added) {
        Route route = new Route("bench", Balance.ROUND_ROBIN, List.of(e));
        return new RoutingTable(added ? Map.of(DOMAIN, route, ADDED, route) : Map.of(DOMAIN, route));
    }

    /** Applies {@code table} and asks {@code host} until it answers {@code expected} (a body or "404"). */
    private static Sample change(HaproxyRouter router, RoutingTable table, int port, String host, String expected)
            throws IOException {
        long start = System.nanoTime();
        router.apply(table);
        long applied = System.nanoTime();
        String last;
        do {
            last = get(port, host);
            if (last.equals(expected)) {
                long served = System.nanoTime();
                return new Sample(Duration.ofNanos(applied - start), Duration.ofNanos(served - start));
            }
        } while (System.nanoTime() - start < SERVE_TIMEOUT_NANOS);
        throw new IllegalStateException(host + " answered '" + last + "', not '" + expected + "', 10 s after apply");
    }

    /** The body of a 200 answer to GET / for {@code host}, else the status. */
    private static String get(int port, String host) throws IOException {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new BufferedInputStream(s.getInputStream());
            StringBuilder head = new StringBuilder();
            while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("connection closed after '" + head + "'");
                }
                head.append((char) c);
            }
            String status = head.substring(9, 12);
            int length = head.toString().lines().filter(l -> l.regionMatches(true, 0, "content-length:", 0, 15))
                    .mapToInt(l -> Integer.parseInt(l.substring(15).strip())).findFirst().orElse(0);
            String body = new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
            return status.equals("200") ? body : status;
        }
    }

    private static Endpoint upstream(String name, List<HttpServer> servers) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        byte[] body = name.getBytes(StandardCharsets.US_ASCII);
        s.createContext("/", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        s.start();
        servers.add(s);
        return new Endpoint("127.0.0.1", s.getAddress().getPort());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
