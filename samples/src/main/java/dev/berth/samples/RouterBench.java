package dev.berth.samples;

import com.sun.net.httpserver.HttpServer;
import dev.berth.api.Balance;
import dev.berth.api.Endpoint;
import dev.berth.spi.Router;
import dev.berth.api.RoutingTable;
import dev.berth.router.haproxy.HaproxyRouter;
import dev.berth.router.nginx.NginxRouter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Measures the routers on this machine, with the real proxies on 127.0.0.1:
 *
 * <pre>
 * java -cp samples/target/samples-0.1.0-SNAPSHOT-jar-with-dependencies.jar \
 *     dev.berth.samples.RouterBench [--router nginx|haproxy|all] [--rounds 30] [--apps 1000] [--instances 10]
 * </pre>
 *
 * <p><b>Switch</b>: one domain is moved from one upstream to the other, {@code --rounds} times;
 * each round times {@code apply(table)} and the time from the start of {@code apply} until a
 * request through the proxy is answered by the new upstream (polled without pause). nginx reloads
 * on every change; haproxy is measured twice: an endpoint change that keeps the apps and domains
 * (its Runtime API, no reload) and one that also adds or removes a domain (a reload).
 *
 * <p><b>Whole table</b>: {@code --apps} apps with {@code --instances} endpoints each, rendered
 * and validated with the proxy's own checker ({@code nginx -t}, {@code haproxy -c}) without
 * installing anything, then applied (render, validate, swap, reload); each timed
 * {@code --repeat} times.
 *
 * <p>Prints one line per measurement: median, 90th percentile and maximum in milliseconds.
 */
@Command(name = "RouterBench", mixinStandardHelpOptions = true,
        description = "Times route changes and whole-table applies through the real nginx and haproxy.")
public final class RouterBench implements Callable<Integer> {
    private static final String DOMAIN = "bench.test";

    @Option(names = "--router", paramLabel = "nginx|haproxy|all", defaultValue = "all",
            description = "which router to measure (default: ${DEFAULT-VALUE})")
    String which;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "30", description = "switches per kind (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--apps", paramLabel = "N", defaultValue = "1000", description = "apps in the whole table (default: ${DEFAULT-VALUE})")
    int apps;

    @Option(names = "--instances", paramLabel = "N", defaultValue = "10",
            description = "endpoints per app in the whole table (default: ${DEFAULT-VALUE})")
    int instances;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "5", description = "whole-table applies (default: ${DEFAULT-VALUE})")
    int repeat;

    private final PrintStream out;

    RouterBench(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        int code = new CommandLine(new RouterBench(System.out)).execute(args);
        System.exit(code);
    }

    /** The routers this build knows, by name: each takes its prefix directory and its port. */
    private static Map<String, Function<Path, Function<Integer, Router>>> routers() {
        Map<String, Function<Path, Function<Integer, Router>>> m = new LinkedHashMap<>();
        m.put("nginx", prefix -> port -> NginxRouter.builder().prefix(prefix).httpPort(port).build());
        m.put("haproxy", prefix -> port -> HaproxyRouter.builder().prefix(prefix).httpPort(port).build());
        return m;
    }

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || apps < 1 || instances < 1 || repeat < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--rounds, --apps, --instances and --repeat must be at least 1");
        }
        Map<String, Function<Path, Function<Integer, Router>>> known = routers();
        List<String> names = which.equals("all") ? List.copyOf(known.keySet()) : List.of(which);
        for (String n : names) {
            if (!known.containsKey(n)) {
                throw new CommandLine.ParameterException(new CommandLine(this),
                        "--router: '" + n + "' is not allowed; use " + String.join(", ", known.keySet()) + " or all");
            }
        }
        Path work = Files.createTempDirectory("berth-router-bench");
        HttpServer a = upstream("a");
        HttpServer b = upstream("b");
        try {
            for (String name : names) {
                int port = freePort();
                try (Router router = known.get(name).apply(work.resolve(name)).apply(port)) {
                    switches(name, router, port, a, b);
                    wholeTable(name, router);
                }
            }
        } finally {
            a.stop(0);
            b.stop(0);
            deleteTree(work);
        }
        return 0;
    }

    private void switches(String name, Router router, int port, HttpServer a, HttpServer b) throws IOException {
        Endpoint ea = endpoint(a);
        Endpoint eb = endpoint(b);
        router.apply(table(ea, false));
        awaitAnswer(port, "a");
        boolean runtimeApi = name.equals("haproxy");
        for (boolean reload : runtimeApi ? List.of(false, true) : List.of(true)) {
            long[] apply = new long[rounds];
            long[] serving = new long[rounds];
            for (int i = 0; i < rounds; i++) {
                boolean toB = i % 2 == 0;
                // a reload measurement adds or removes a second domain, so that the set of domains changes
                RoutingTable t = table(toB ? eb : ea, reload && runtimeApi && toB);
                long t0 = System.nanoTime();
                router.apply(t);
                apply[i] = System.nanoTime() - t0;
                awaitAnswer(port, toB ? "b" : "a");
                serving[i] = System.nanoTime() - t0;
            }
            String kind = !runtimeApi ? "reload" : reload ? "reload (domain added/removed)" : "runtime API (endpoint change)";
            report(name, "switch, " + kind + ": apply()", apply);
            report(name, "switch, " + kind + ": apply() to new upstream serving", serving);
        }
    }

    private void wholeTable(String name, Router router) {
        Map<String, RoutingTable.Route> routes = new LinkedHashMap<>();
        for (int i = 0; i < apps; i++) {
            List<Endpoint> eps = new ArrayList<>();
            for (int k = 0; k < instances; k++) {
                eps.add(new Endpoint("127.0.0.1", 20_000 + (i * instances + k) % 40_000));
            }
            routes.put("app-" + i + ".bench.test", new RoutingTable.Route("app-" + i, Balance.LEAST_CONN, eps));
        }
        long[] checks = new long[repeat];
        for (int r = 0; r < repeat; r++) {
            long t0 = System.nanoTime();
            check(router, new RoutingTable(routes));
            checks[r] = System.nanoTime() - t0;
        }
        report(name, "whole table, " + apps + " apps x " + instances + " instances: render + validate only", checks);
        long[] times = new long[repeat];
        for (int r = 0; r < repeat; r++) {
            // alternate between the table and the table with one more domain, so that each apply
            // changes the set of domains: a full reload for both proxies
            Map<String, RoutingTable.Route> m = new LinkedHashMap<>(routes);
            if (r % 2 == 1) {
                m.put("extra.bench.test", routes.get("app-0.bench.test"));
            }
            RoutingTable table = new RoutingTable(m);
            long t0 = System.nanoTime();
            router.apply(table);
            times[r] = System.nanoTime() - t0;
        }
        report(name, "whole table, " + apps + " apps x " + instances + " instances: apply() (render, validate, swap, reload)",
                times);
        router.apply(RoutingTable.empty());
    }

    /** Renders and validates with the proxy's own checker, installing nothing. */
    private static void check(Router router, RoutingTable table) {
        if (router instanceof NginxRouter n) {
            n.check(table);
        } else if (router instanceof HaproxyRouter h) {
            h.check(table);
        } else {
            throw new IllegalArgumentException("no dry run for " + router.getClass().getName());
        }
    }

    private static RoutingTable table(Endpoint e, boolean extraDomain) {
        Map<String, RoutingTable.Route> m = new LinkedHashMap<>();
        m.put(DOMAIN, new RoutingTable.Route("bench", Balance.ROUND_ROBIN, List.of(e)));
        if (extraDomain) {
            m.put("extra." + DOMAIN, new RoutingTable.Route("bench", Balance.ROUND_ROBIN, List.of(e)));
        }
        return new RoutingTable(m);
    }

    private void report(String router, String what, long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        out.printf(Locale.ROOT, "%-8s %-90s median %8.2f ms  p90 %8.2f ms  max %8.2f ms  (n=%d)%n", router, what,
                s[s.length / 2] / 1e6, s[Math.min(s.length - 1, (int) Math.ceil(s.length * 0.9) - 1)] / 1e6,
                s[s.length - 1] / 1e6, s.length);
    }

    /** Polls (no pause, at most 5 s) until a request through the proxy is answered by {@code name}. */
    private static void awaitAnswer(int port, String name) throws IOException {
        long until = System.nanoTime() + 5_000_000_000L;
        String last = "";
        while (System.nanoTime() < until) {
            last = get(port);
            if (last.equals(name)) {
                return;
            }
        }
        throw new IOException("the proxy did not switch to upstream " + name + " within 5 s; last answer: " + last);
    }

    private static String get(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(2000);
            OutputStream o = s.getOutputStream();
            o.write(("GET / HTTP/1.1\r\nHost: " + DOMAIN + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int at = text.indexOf("\r\n\r\n");
            return text.startsWith("HTTP/1.1 200") && at >= 0 ? text.substring(at + 4).strip() : text.lines().findFirst().orElse("");
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static HttpServer upstream(String name) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        byte[] body = name.getBytes(StandardCharsets.UTF_8);
        s.createContext("/", ex -> {
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        s.start();
        return s;
    }

    private static Endpoint endpoint(HttpServer s) {
        return new Endpoint("127.0.0.1", s.getAddress().getPort());
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
