package dev.berth.router.nginx;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.berth.api.Balance;
import dev.berth.api.BerthException;
import dev.berth.api.Endpoint;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.RoutingTable;
import dev.berth.api.RoutingTable.Route;
import dev.berth.api.Traffic;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the real nginx (Debian's package); fails, never skips, when nginx is missing. */
class NginxRouterIT {
    @TempDir
    Path prefix;

    private final List<HttpServer> servers = new ArrayList<>();
    private final List<NginxRouter> routers = new ArrayList<>();

    @AfterEach
    void stop() {
        routers.forEach(NginxRouter::close);
        servers.forEach(s -> s.stop(0));
    }

    @Test
    void sendsEachHostToItsAppAndAlternatesInRoundRobin() throws Exception {
        Endpoint a1 = upstream("a1");
        Endpoint a2 = upstream("a2");
        Endpoint b1 = upstream("b1");
        NginxRouter router = router();

        router.apply(new RoutingTable(Map.of(
                "a.test", new Route("appa", Balance.ROUND_ROBIN, List.of(a1, a2)),
                "b.test", new Route("appb", Balance.LEAST_CONN, List.of(b1)))));

        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Response r = get(router, "a.test");
            assertThat(r.status()).isEqualTo(200);
            seen.add(r.body());
        }
        assertThat(seen).containsOnly("a1", "a2");
        for (int i = 1; i < seen.size(); i++) {
            assertThat(seen.get(i)).as("round robin alternates: %s", seen).isNotEqualTo(seen.get(i - 1));
        }
        assertThat(get(router, "b.test")).isEqualTo(new Response(200, "b1"));
        assertThat(get(router, "B.TEST:8080").body()).isEqualTo("b1");
    }

    @Test
    void anAppNotDeployedYetGets503SayingSoUntilItServes() throws Exception {
        NginxRouter router = router();
        router.apply(new RoutingTable(Map.of("new.test", Route.notDeployed("fresh", dev.berth.api.Routing.of("new.test")))));
        Response waiting = get(router, "new.test");
        assertThat(waiting.status()).isEqualTo(503);
        assertThat(waiting.body()).isEqualTo("503 Service Unavailable: app fresh is not deployed yet: git push to deploy it.\n");

        router.apply(new RoutingTable(Map.of("new.test", new Route("fresh", Balance.LEAST_CONN, List.of(upstream("v1"))))));
        assertThat(get(router, "new.test")).isEqualTo(new Response(200, "v1"));
    }

    @Test
    void unknownHostsGet404AndADomainWithoutEndpoints503() throws Exception {
        NginxRouter router = router();
        router.apply(new RoutingTable(Map.of("down.test", new Route("down", Balance.LEAST_CONN, List.of()))));

        assertThat(get(router, "nobody.test").status()).isEqualTo(404);
        Response down = get(router, "down.test");
        assertThat(down.status()).isEqualTo(503);
        assertThat(down.body()).contains("down has no healthy instance");
    }

    @Test
    void anInjectedDomainIsRejectedBeforeRenderingAndChangesNothing() throws Exception {
        Endpoint a1 = upstream("a1");
        NginxRouter router = router();
        router.apply(table("a.test", "appa", a1));
        String before = Files.readString(router.configFile());

        for (String evil : List.of("a.com; error_log /tmp/x", "a.com { }", "a.com\nerror_log /tmp/x")) {
            assertThatThrownBy(() -> router.apply(table(evil, "appa", a1)))
                    .isInstanceOf(InvalidSpecException.class);
        }
        assertThatThrownBy(() -> router.apply(table("a.test", "app;a", a1))).isInstanceOf(InvalidSpecException.class);

        assertThat(Files.readString(router.configFile())).isEqualTo(before);
        assertThat(Files.exists(Path.of("/tmp/x"))).isFalse();
        assertThat(get(router, "a.test")).isEqualTo(new Response(200, "a1"));
    }

    @Test
    void aConfigNginxRejectsLeavesThePreviousOneServing() throws Exception {
        Endpoint a1 = upstream("a1");
        NginxRouter router = router();
        router.apply(table("a.test", "appa", a1));
        String before = Files.readString(router.configFile());

        // nginx -t cannot resolve a .invalid host name: the new config fails validation
        assertThatThrownBy(() -> router.apply(table("a.test", "appa", new Endpoint("no-such-host.invalid", 80))))
                .isInstanceOf(BerthException.class)
                .hasMessageContaining("nginx -t rejected")
                .hasMessageContaining("no-such-host.invalid");

        assertThat(Files.readString(router.configFile())).isEqualTo(before);
        assertThat(get(router, "a.test")).isEqualTo(new Response(200, "a1"));
    }

    @Test
    void applyingAChangedTableSwitchesTraffic() throws Exception {
        Endpoint old = upstream("old");
        Endpoint neu = upstream("new");
        NginxRouter router = router();
        router.apply(table("a.test", "appa", old));
        assertThat(get(router, "a.test").body()).isEqualTo("old");

        router.apply(table("a.test", "appa", neu));

        // apply returns once the new generation serves: no waiting needed
        for (int i = 0; i < 5; i++) {
            assertThat(get(router, "a.test").body()).isEqualTo("new");
        }
        router.apply(RoutingTable.empty());
        assertThat(get(router, "a.test").status()).isEqualTo(404);
    }

    @Test
    void countsRequestsAndBytesPerDomain() throws Exception {
        NginxRouter router = router();
        router.apply(new RoutingTable(Map.of(
                "a.test", new Route("appa", Balance.LEAST_CONN, List.of(upstream("a1"))),
                "b.test", new Route("appb", Balance.LEAST_CONN, List.of(upstream("b1"))))));

        long bytesA = 0;
        for (int i = 0; i < 7; i++) {
            bytesA += get(router, "a.test").size();
        }
        long bytesB = 0;
        for (int i = 0; i < 3; i++) {
            bytesB += get(router, "b.test").size();
        }
        get(router, "unknown.test");

        long a = bytesA;
        long b = bytesB;
        await().atMost(5, SECONDS).untilAsserted(() -> assertThat(router.traffic())
                .isEqualTo(Map.of("a.test", new Traffic(7, a), "b.test", new Traffic(3, b))));
    }

    @Test
    void closeStopsTheOwnedNginx() throws Exception {
        NginxRouter router = router();
        long pid = router.ownedPid().orElseThrow();
        assertThat(Files.readString(prefix.resolve("nginx.pid")).strip()).isEqualTo(Long.toString(pid));
        ProcessHandle master = ProcessHandle.of(pid).orElseThrow();
        List<ProcessHandle> workers = master.descendants().toList();
        assertThat(workers).isNotEmpty();

        router.close();

        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isNotEqualTo(java.util.Optional.of(true));
        assertThat(workers).noneMatch(ProcessHandle::isAlive);
        assertThat(router.ownedPid()).isEmpty();
        assertThatThrownBy(() -> router.apply(RoutingTable.empty())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aTakenPortIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> NginxRouter.builder().prefix(prefix).httpPort(taken.getLocalPort()).build())
                    .isInstanceOf(BerthException.class)
                    .hasMessageContaining("port " + taken.getLocalPort())
                    .hasMessageContaining("already in use");
        }
    }

    @Test
    void drivesAnExternalNginxAndKeepsTheLastGoodFileWhenTheReloadFails() throws Exception {
        Endpoint a1 = upstream("a1");
        int port = freePort();
        Path conf = prefix.resolve("conf").resolve("nginx.conf");
        Files.createDirectories(conf.getParent());
        Files.createDirectories(prefix.resolve("logs"));
        Files.writeString(conf, "pid " + prefix.resolve("nginx.pid") + ";\n"
                + (ProcessHandle.current().info().user().orElse("").equals("root") ? "user root;\n" : "")
                + "events {}\nhttp { server { listen 127.0.0.1:" + port + "; return 200 \"started by hand\\n\"; } }\n");
        String log = prefix.resolve("logs").resolve("error.log").toString();
        Process nginx = new ProcessBuilder("/usr/sbin/nginx", "-c", conf.toString(), "-p", prefix + "/", "-e", log,
                "-g", "daemon off;").redirectErrorStream(true).redirectOutput(prefix.resolve("out").toFile()).start();
        try {
            NginxRouter router = NginxRouter.builder().prefix(prefix).external(conf, List.of("/usr/sbin/nginx", "-s", "reload",
                    "-c", conf.toString(), "-p", prefix + "/", "-e", log)).httpPort(port).build();
            routers.add(router);
            // refused until the proxy started by hand has bound its port
            await().atMost(5, SECONDS).ignoreExceptions()
                    .untilAsserted(() -> assertThat(get(port, "x").body()).contains("by hand"));

            router.apply(table("a.test", "appa", a1));
            assertThat(get(port, "a.test")).isEqualTo(new Response(200, "a1"));
            String good = Files.readString(conf);

            NginxRouter failing = NginxRouter.builder().prefix(prefix).external(conf, List.of("/bin/false")).httpPort(port).build();
            routers.add(failing);
            assertThatThrownBy(() -> failing.apply(table("b.test", "appb", a1)))
                    .isInstanceOf(BerthException.class).hasMessageContaining("reload [/bin/false] failed");
            assertThat(Files.readString(conf)).isEqualTo(good);
            assertThat(get(port, "a.test")).isEqualTo(new Response(200, "a1"));

            router.close();
            assertThat(nginx.isAlive()).as("an external nginx outlives the router").isTrue();
        } finally {
            nginx.destroy();
            nginx.waitFor(10, SECONDS);
        }
    }

    // --- helpers ---------------------------------------------------------------------------

    @Test
    void aNewRouterOnTheSamePrefixAdoptsTheRunningNginx() throws Exception {
        Endpoint a1 = upstream("a1");
        int port = freePort();
        NginxRouter first = NginxRouter.builder().prefix(prefix).httpPort(port).build();
        routers.add(first);
        first.apply(table("a.test", "appa", a1));
        long pid = first.ownedPid().orElseThrow();

        // as if the first router's JVM had been killed: its nginx still runs and still serves
        NginxRouter second = NginxRouter.builder().prefix(prefix).httpPort(port).build();
        routers.add(second);

        assertThat(second.ownedPid()).hasValue(pid);
        assertThat(get(port, "a.test").body()).isEqualTo("a1");
        Endpoint b1 = upstream("b1");
        second.apply(table("b.test", "appb", b1));
        assertThat(get(port, "b.test").body()).isEqualTo("b1");
        assertThat(get(port, "a.test").status()).isEqualTo(404);
        second.close();
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
    }

    private NginxRouter router() throws IOException {
        NginxRouter r = NginxRouter.builder().prefix(prefix).httpPort(freePort()).build();
        routers.add(r);
        return r;
    }

    private static RoutingTable table(String domain, String app, Endpoint... endpoints) {
        return new RoutingTable(Map.of(domain, new Route(app, Balance.ROUND_ROBIN, List.of(endpoints))));
    }

    /** A tiny HTTP server on 127.0.0.1 that answers its own name. */
    private Endpoint upstream(String name) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] body = name.getBytes(StandardCharsets.UTF_8);
        s.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
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

    record Response(int status, String body, int size) {
        Response(int status, String body) {
            this(status, body, -1);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Response r && r.status == status && r.body.equals(body);
        }

        @Override
        public int hashCode() {
            return status * 31 + body.hashCode();
        }
    }

    /** GET / with a Host header, over a fresh HTTP/1.0 connection to the router. */
    private static Response get(NginxRouter router, String host) throws IOException {
        return get(Integer.parseInt(Files.readString(router.configFile()).lines()
                .filter(l -> l.contains("default_server")).findFirst().orElseThrow()
                .replaceAll(".*:(\\d+) default_server;.*", "$1")), host);
    }

    private static Response get(int port, String host) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] all = in.readAllBytes();
            String text = new String(all, StandardCharsets.ISO_8859_1);
            int status = Integer.parseInt(text.substring(9, 12));
            return new Response(status, text.substring(text.indexOf("\r\n\r\n") + 4), all.length);
        }
    }
}
