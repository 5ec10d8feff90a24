package dev.berth.router.haproxy;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.berth.api.Balance;
import dev.berth.api.BerthException;
import dev.berth.api.Endpoint;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.RouteSettings;
import dev.berth.api.RoutingTable;
import dev.berth.api.RoutingTable.Route;
import dev.berth.api.Tls;
import dev.berth.api.Traffic;
import dev.berth.router.haproxy.HaproxyRouter.ApplyPath;
import java.io.ByteArrayInputStream;
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
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyStore;
import java.time.Duration;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Against the real haproxy (Debian's package); fails, never skips, when haproxy is missing. */
class HaproxyRouterIT {
    private static final Logger LOG = LoggerFactory.getLogger(HaproxyRouterIT.class);

    @TempDir
    Path prefix;

    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
    private final List<HaproxyRouter> routers = new ArrayList<>();

    @AfterEach
    void stop() {
        routers.forEach(HaproxyRouter::close);
        servers.forEach(s -> s.stop(0));
    }

    @Test
    void sendsEachHostToItsAppAndAlternatesInRoundRobin() throws Exception {
        Endpoint a1 = upstream("a1");
        Endpoint a2 = upstream("a2");
        Endpoint b1 = upstream("b1");
        HaproxyRouter router = router();

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
        assertThat(get(router, "B.TEST:8080").body()).as("host matched without port, any case").isEqualTo("b1");
        assertThat(router.lastApplyPath()).isEqualTo(ApplyPath.RELOAD);
    }

    @Test
    void sourceBalanceKeepsAClientOnOneInstanceAndLeastConnSpreads() throws Exception {
        Endpoint s1 = upstream("s1");
        Endpoint s2 = upstream("s2");
        Endpoint l1 = upstream("l1");
        Endpoint l2 = upstream("l2");
        HaproxyRouter router = router();
        router.apply(new RoutingTable(Map.of(
                "sticky.test", new Route("sticky", Balance.IP_HASH, List.of(s1, s2)),
                "least.test", new Route("least", Balance.LEAST_CONN, List.of(l1, l2)))));
        assertThat(Files.readString(router.configFile())).contains("balance source").contains("balance leastconn");

        Set<String> sticky = new HashSet<>();
        Set<String> least = new HashSet<>();
        for (int i = 0; i < 8; i++) {
            sticky.add(get(router, "sticky.test").body());
            least.add(get(router, "least.test").body());
        }
        assertThat(sticky).as("one client address, one instance").hasSize(1);
        assertThat(least).as("idle servers tie, leastconn takes turns").containsExactlyInAnyOrder("l1", "l2");
    }

    @Test
    void anAppNotDeployedYetGets503SayingSoUntilItServes() throws Exception {
        HaproxyRouter router = router();
        router.apply(new RoutingTable(Map.of("new.test", Route.notDeployed("fresh", dev.berth.api.Routing.of("new.test")))));
        Response waiting = get(router, "new.test");
        assertThat(waiting.status()).isEqualTo(503);
        assertThat(waiting.body()).isEqualTo("503 Service Unavailable: app fresh is not deployed yet: git push to deploy it.\n");

        router.apply(new RoutingTable(Map.of("new.test", new Route("fresh", Balance.LEAST_CONN, List.of(upstream("v1"))))));
        assertThat(get(router, "new.test")).isEqualTo(new Response(200, "v1"));
    }

    @Test
    void unknownHostsGet404AndADomainWithoutEndpoints503() throws Exception {
        HaproxyRouter router = router();
        router.apply(new RoutingTable(Map.of("down.test", new Route("down", Balance.LEAST_CONN, List.of()))));

        Response unknown = get(router, "nobody.test");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body()).isEqualTo("404 Not Found: no app is served at this host name.\n");
        Response down = get(router, "down.test");
        assertThat(down.status()).isEqualTo(503);
        assertThat(down.body()).isEqualTo("503 Service Unavailable: app down has no healthy instance.\n");
    }

    @Test
    void aBodyAboveTheLimitGets413() throws Exception {
        Endpoint e = upstream("big");
        HaproxyRouter router = router();
        router.apply(new RoutingTable(Map.of(
                "limited.test", new Route("limited", Balance.LEAST_CONN, List.of(e), null,
                        RouteSettings.defaults().withMaxBodyMb(1)),
                "free.test", new Route("free", Balance.LEAST_CONN, List.of(e), null,
                        RouteSettings.defaults().withMaxBodyMb(0)))));

        assertThat(post(router, "limited.test", 1024 * 1024)).isEqualTo(new Response(200, "big"));
        Response tooBig = post(router, "limited.test", 1024 * 1024 + 1);
        assertThat(tooBig.status()).isEqualTo(413);
        assertThat(tooBig.body()).contains("app limited accepts request bodies up to 1 MiB");
        assertThat(post(router, "free.test", 3 * 1024 * 1024)).isEqualTo(new Response(200, "big"));
    }

    @Test
    void anInstanceSlowerThanTheReadTimeoutGets504() throws Exception {
        HttpServer slow = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        slow.createContext("/", ex -> {
            pause(2_000);
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        slow.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "upstream-slow");
            t.setDaemon(true);
            return t;
        }));
        slow.start();
        servers.add(slow);
        HaproxyRouter router = router();
        router.apply(new RoutingTable(Map.of("slow.test", new Route("slow", Balance.LEAST_CONN,
                List.of(new Endpoint("127.0.0.1", slow.getAddress().getPort())), null,
                RouteSettings.defaults().withReadTimeout(Duration.ofMillis(300))))));

        long started = System.nanoTime();
        assertThat(get(router, "slow.test").status()).isEqualTo(504);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(1_500));
    }

    @Test
    void servesTlsWithTheDomainsCertificateChosenBySni() throws Exception {
        Endpoint e = upstream("secure");
        Path dir = Files.createDirectories(prefix.resolve("certs"));
        Path cert = dir.resolve("c.pem");
        Path key = dir.resolve("k.pem");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                "/CN=tls.test", "-addext", "subjectAltName=DNS:tls.test", "-days", "2", "-keyout", key.toString(),
                "-out", cert.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("openssl.out").toFile())
                .start();
        assertThat(openssl.waitFor(30, SECONDS)).isTrue();
        assertThat(openssl.exitValue()).as(Files.readString(dir.resolve("openssl.out"))).isZero();
        int httpsPort = freePort();
        HaproxyRouter router = HaproxyRouter.builder().prefix(prefix.resolve("haproxy")).httpPort(freePort())
                .httpsPort(httpsPort).build();
        routers.add(router);
        router.apply(new RoutingTable(Map.of(
                "tls.test", new Route("secure", Balance.LEAST_CONN, List.of(e), Tls.of(cert, key),
                        RouteSettings.defaults()),
                "plain.test", new Route("plain", Balance.LEAST_CONN, List.of(e)))));

        // a fresh context each time: no TLS session is resumed, every handshake is checked
        assertThat(getTls(trusting(cert), httpsPort, "tls.test", "tls.test")).isEqualTo(new Response(200, "secure"));
        assertThat(get(router, "tls.test")).as("plain HTTP keeps serving the domain").isEqualTo(new Response(200, "secure"));
        assertThat(getTls(trusting(cert), httpsPort, "tls.test", "plain.test").status())
                .as("a plain-HTTP domain is not served over TLS").isEqualTo(404);
        assertThatThrownBy(() -> getTls(trusting(cert), httpsPort, "other.test", "other.test"))
                .as("a name without a certificate is refused in the handshake")
                .isInstanceOf(javax.net.ssl.SSLHandshakeException.class).hasMessageContaining("unrecognized_name");

        // a certificate haproxy cannot load: haproxy -c says so, in check() and in apply(), and nothing changes
        Path bad = dir.resolve("bad.pem");
        Files.writeString(bad, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        RoutingTable badTable = new RoutingTable(Map.of("tls.test", new Route("secure", Balance.LEAST_CONN,
                List.of(e), Tls.of(bad, key), RouteSettings.defaults())));
        String before = Files.readString(router.configFile());
        assertThatThrownBy(() -> router.check(badTable)).isInstanceOf(BerthException.class)
                .hasMessageContaining("haproxy -c rejected").hasMessageContaining("tls.test.pem");
        assertThatThrownBy(() -> router.apply(badTable)).isInstanceOf(BerthException.class)
                .hasMessageContaining("haproxy -c rejected").hasMessageContaining("[ALERT]");
        assertThat(Files.readString(router.configFile())).isEqualTo(before);
        assertThat(getTls(trusting(cert), httpsPort, "tls.test", "tls.test")).isEqualTo(new Response(200, "secure"));

        Path pem = Files.list(router.configFile().getParent()).filter(Files::isDirectory)
                .map(d -> d.resolve("tls.test.pem")).filter(Files::exists).findFirst().orElseThrow();
        assertThat(Files.getPosixFilePermissions(pem))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(Files.readString(pem)).contains("BEGIN CERTIFICATE").contains("PRIVATE KEY");
    }

    @Test
    void anInjectedDomainIsRejectedBeforeRenderingAndChangesNothing() throws Exception {
        Endpoint a1 = upstream("a1");
        HaproxyRouter router = router();
        router.apply(table("a.test", "appa", a1));
        String before = Files.readString(router.configFile());
        long reloads = router.reloads();

        for (String evil : List.of("a;b.test", "a{b", "a b", "a.test\n    stats socket /tmp/x", "a.test#x")) {
            assertThatThrownBy(() -> router.apply(table(evil, "appa", a1)))
                    .isInstanceOf(InvalidSpecException.class)
                    .hasMessageContaining("routes[")
                    .hasMessageContaining("is not allowed; a domain must be a host name");
        }
        assertThatThrownBy(() -> router.apply(table("a.test", "app;a", a1)))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("routes[a.test].app: 'app;a'");
        assertThatThrownBy(() -> router.apply(new RoutingTable(Map.of("a.test", new Route("appa",
                Balance.LEAST_CONN, List.of(a1), Tls.of(prefix.resolve("missing.pem"), prefix.resolve("k.pem")),
                RouteSettings.defaults())))))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("routes[a.test].tls.certificate").hasMessageContaining("readable PEM file");

        assertThat(Files.readString(router.configFile())).isEqualTo(before);
        assertThat(router.reloads()).isEqualTo(reloads);
        assertThat(Files.exists(Path.of("/tmp/x"))).isFalse();
        assertThat(get(router, "a.test")).isEqualTo(new Response(200, "a1"));
    }

    @Test
    void aConfigHaproxyRejectsLeavesThePreviousOneServing() throws Exception {
        Endpoint a1 = upstream("a1");
        HaproxyRouter router = router();
        router.apply(table("a.test", "appa", a1));
        String before = Files.readString(router.configFile());

        router.renderHook(text -> text + "\nbackend broken\n    no-such-keyword 1\n");
        assertThatThrownBy(() -> router.apply(table("b.test", "appb", a1)))
                .isInstanceOf(BerthException.class)
                .hasMessageContaining("haproxy -c rejected")
                .hasMessageContaining("no-such-keyword");
        router.renderHook(text -> text);

        assertThat(Files.readString(router.configFile())).isEqualTo(before);
        assertThat(get(router, "a.test")).isEqualTo(new Response(200, "a1"));
        assertThat(get(router, "b.test").status()).isEqualTo(404);
        router.apply(table("b.test", "appb", a1));
        assertThat(get(router, "b.test")).isEqualTo(new Response(200, "a1"));
    }

    @Test
    void aTakenHttpsPortIsNamedWhenTheFirstTlsRouteComesAndChangesNothing() throws Exception {
        Endpoint a1 = upstream("a1");
        Path dir = Files.createDirectories(prefix.resolve("certs"));
        Path cert = dir.resolve("c.pem");
        Path key = dir.resolve("k.pem");
        assertThat(new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                "/CN=tls.test", "-days", "2", "-keyout", key.toString(), "-out", cert.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("openssl.out").toFile()).start()
                .waitFor()).isZero();
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            HaproxyRouter router = HaproxyRouter.builder().prefix(prefix.resolve("haproxy")).httpPort(freePort())
                    .httpsPort(taken.getLocalPort()).build();
            routers.add(router);
            router.apply(table("a.test", "appa", a1));
            String before = Files.readString(router.configFile());

            assertThatThrownBy(() -> router.apply(new RoutingTable(Map.of("a.test", new Route("appa",
                    Balance.LEAST_CONN, List.of(a1), Tls.of(cert, key), RouteSettings.defaults())))))
                    .isInstanceOf(BerthException.class)
                    .hasMessageContaining("port " + taken.getLocalPort())
                    .hasMessageContaining("already in use")
                    .hasMessageContaining("httpsPort(...)");

            assertThat(Files.readString(router.configFile())).isEqualTo(before);
            assertThat(get(router, "a.test")).isEqualTo(new Response(200, "a1"));
        }
    }

    @Test
    void aReloadTheMasterRefusesFailsAtOnceAndThePreviousConfigKeepsServing() throws Exception {
        Endpoint a1 = upstream("a1");
        HaproxyRouter router = router();
        router.apply(table("a.test", "appa", a1));
        String before = Files.readString(router.configFile());
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            // haproxy -c accepts this (it binds nothing); the master's reload cannot bind the port
            router.renderHook(text -> text + "\nfrontend squatter\n    bind 127.0.0.1:" + taken.getLocalPort()
                    + "\n    http-request return status 200\n");
            long started = System.nanoTime();
            assertThatThrownBy(() -> router.apply(table("b.test", "appb", a1)))
                    .isInstanceOf(BerthException.class)
                    .hasMessageContaining("port " + taken.getLocalPort() + " on 127.0.0.1 is already in use")
                    .hasMessageContaining("[ALERT]")
                    .hasMessageContaining("the previous configuration keeps serving");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("no waiting for the reload timeout")
                    .isLessThan(Duration.ofSeconds(5));
            router.renderHook(text -> text);
        }
        assertThat(Files.readString(router.configFile())).isEqualTo(before);
        // The old worker serves on; under load, haproxy 2.6's master was once seen refusing
        // connections for a moment while it recovered from the failed reload (see the README).
        await().atMost(5, SECONDS).ignoreExceptions()
                .untilAsserted(() -> assertThat(get(router, "a.test")).isEqualTo(new Response(200, "a1")));
        assertThat(get(router, "b.test").status()).isEqualTo(404);

        router.apply(table("b.test", "appb", a1)); // the master takes the next reload as usual
        assertThat(get(router, "b.test")).isEqualTo(new Response(200, "a1"));
    }

    @Test
    void endpointChangesGoThroughTheRuntimeApiWithoutAReload() throws Exception {
        Endpoint old = upstream("old");
        Endpoint neu = upstream("new");
        HaproxyRouter router = router();
        router.apply(table("a.test", "appa", old));
        long worker = router.workerPid().orElseThrow();
        long reloads = router.reloads();
        assertThat(get(router, "a.test").body()).isEqualTo("old");

        router.apply(table("a.test", "appa", neu));

        assertThat(router.lastApplyPath()).isEqualTo(ApplyPath.RUNTIME_API);
        // apply returns once haproxy confirmed the new slots: no waiting needed
        for (int i = 0; i < 5; i++) {
            assertThat(get(router, "a.test").body()).isEqualTo("new");
        }
        router.apply(table("a.test", "appa"));
        assertThat(get(router, "a.test").status()).isEqualTo(503);
        router.apply(table("a.test", "appa", old, neu));
        assertThat(Set.of(get(router, "a.test").body(), get(router, "a.test").body())).containsOnly("old", "new");
        router.apply(table("a.test", "appa", old, neu));
        assertThat(router.lastApplyPath()).isEqualTo(ApplyPath.UNCHANGED);

        assertThat(router.reloads()).isEqualTo(reloads);
        assertThat(router.workerPid()).hasValue(worker);
        // the file follows, so that a reload by anyone keeps the endpoints
        assertThat(Files.readString(router.configFile())).contains(old.toString()).contains(neu.toString());

        router.apply(new RoutingTable(Map.of(
                "a.test", new Route("appa", Balance.ROUND_ROBIN, List.of(old, neu)),
                "b.test", new Route("appb", Balance.ROUND_ROBIN, List.of(neu)))));
        assertThat(router.lastApplyPath()).isEqualTo(ApplyPath.RELOAD);
        assertThat(router.reloads()).isEqualTo(reloads + 1);
        assertThat(router.workerPid().orElseThrow()).isNotEqualTo(worker);
        assertThat(get(router, "b.test")).isEqualTo(new Response(200, "new"));
        List<String> seen = List.of(get(router, "a.test").body(), get(router, "a.test").body());
        assertThat(seen).containsExactlyInAnyOrder("old", "new");
    }

    @Test
    void whenHaproxyDoesNotEndUpAsPlannedApplyReloadsInstead() throws Exception {
        Endpoint a = upstream("a");
        Endpoint b = upstream("b");
        HaproxyRouter router = router();
        router.apply(table("a.test", "appa", a));
        // someone puts the only server into maintenance behind the router's back
        Cli.call(router.settings().adminSocket(), "set server be_appa/srv1 state maint", Duration.ofSeconds(5));
        assertThat(get(router, "a.test").status()).isEqualTo(503);

        router.apply(table("a.test", "appa", a, b));

        assertThat(router.lastApplyPath()).as("the check after the commands saw srv1 in maintenance")
                .isEqualTo(ApplyPath.RELOAD);
        assertThat(Set.of(get(router, "a.test").body(), get(router, "a.test").body())).containsOnly("a", "b");
        router.apply(table("a.test", "appa", b));
        assertThat(router.lastApplyPath()).isEqualTo(ApplyPath.RUNTIME_API);
        assertThat(get(router, "a.test")).isEqualTo(new Response(200, "b"));
    }

    @Test
    void countsRequestsAndBytesPerDomain() throws Exception {
        HaproxyRouter router = router();
        router.apply(new RoutingTable(Map.of(
                "a.test", new Route("appa", Balance.LEAST_CONN, List.of(upstream("a1"))),
                "b.test", new Route("appb", Balance.LEAST_CONN, List.of(upstream("b1"))),
                "down.test", new Route("down", Balance.LEAST_CONN, List.of()))));

        long bytesA = 0;
        for (int i = 0; i < 7; i++) {
            Response r = get(router, "a.test");
            assertThat(r.counted()).as("no header of haproxy's own here").isEqualTo(r.size());
            bytesA += r.size();
        }
        long bytesB = 0;
        for (int i = 0; i < 3; i++) {
            bytesB += get(router, "b.test").size();
        }
        long bytesDown = get(router, "down.test").size();
        get(router, "unknown.test");

        long a = bytesA;
        long b = bytesB;
        await().atMost(5, SECONDS).untilAsserted(() -> assertThat(router.traffic()).isEqualTo(Map.of(
                "a.test", new Traffic(7, a), "b.test", new Traffic(3, b), "down.test", new Traffic(1, bytesDown))));
    }

    @Test
    void closeStopsTheOwnedHaproxy() throws Exception {
        HaproxyRouter router = router();
        long pid = router.ownedPid().orElseThrow();
        assertThat(Files.readString(router.settings().pidFile()).strip()).isEqualTo(Long.toString(pid));
        ProcessHandle master = ProcessHandle.of(pid).orElseThrow();
        List<ProcessHandle> workers = master.descendants().toList();
        assertThat(workers).isNotEmpty();
        assertThat(router.workerPid()).hasValue(workers.get(0).pid());

        router.close();

        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isNotEqualTo(Optional.of(true));
        assertThat(workers).noneMatch(ProcessHandle::isAlive);
        assertThat(router.ownedPid()).isEmpty();
        assertThatThrownBy(() -> router.apply(RoutingTable.empty())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aNewRouterOnTheSamePrefixAdoptsTheRunningHaproxy() throws Exception {
        Endpoint a1 = upstream("a1");
        int port = freePort();
        HaproxyRouter first = HaproxyRouter.builder().prefix(prefix).httpPort(port).httpsPort(freePort()).build();
        routers.add(first);
        first.apply(table("a.test", "appa", a1));
        long pid = first.ownedPid().orElseThrow();

        // as if the first router's JVM had been killed: its haproxy still runs and still serves
        HaproxyRouter second = HaproxyRouter.builder().prefix(prefix).httpPort(port).httpsPort(freePort()).build();
        routers.add(second);

        assertThat(second.ownedPid()).hasValue(pid);
        Response stillServed = get(port, "a.test");
        assertThat(stillServed.body()).isEqualTo("a1");
        Endpoint b1 = upstream("b1");
        second.apply(table("b.test", "appb", b1));
        assertThat(second.lastApplyPath()).as("what runs is not known: reload").isEqualTo(ApplyPath.RELOAD);
        assertThat(get(port, "b.test").body()).isEqualTo("b1");
        assertThat(get(port, "a.test").status()).isEqualTo(404);
        second.apply(table("b.test", "appb", a1));
        assertThat(second.lastApplyPath()).isEqualTo(ApplyPath.RUNTIME_API);
        Response counted = get(port, "b.test");
        assertThat(counted.body()).isEqualTo("a1");
        await().atMost(5, SECONDS).untilAsserted(() -> assertThat(second.traffic())
                .as("the adopted haproxy still logs where the router reads")
                .isEqualTo(Map.of("a.test", new Traffic(1, stillServed.size()),
                        "b.test", new Traffic(2, 2L * counted.size()))));
        second.close();
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
    }

    @Test
    void checkValidatesWithoutTouchingWhatServes() throws Exception {
        Endpoint a1 = upstream("a1");
        HaproxyRouter router = router();
        router.apply(table("a.test", "appa", a1));
        String before = Files.readString(router.configFile());
        long reloads = router.reloads();

        String text = router.check(table("b.test", "appb", a1));

        assertThat(text).contains("backend be_appb").contains("string \"check\\n\"");
        assertThat(Files.readString(router.configFile())).isEqualTo(before);
        assertThat(router.reloads()).isEqualTo(reloads);
        assertThat(get(router, "a.test")).isEqualTo(new Response(200, "a1"));
        assertThat(get(router, "b.test").status()).isEqualTo(404);
        assertThat(Files.list(router.settings().temp())).as("the scratch files are gone").isEmpty();
        assertThatThrownBy(() -> router.check(table("a;b", "appa", a1))).isInstanceOf(InvalidSpecException.class);
    }

    @Test
    void aTakenPortIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> HaproxyRouter.builder().prefix(prefix).httpPort(taken.getLocalPort()).build())
                    .isInstanceOf(BerthException.class)
                    .hasMessageContaining("port " + taken.getLocalPort() + " on 127.0.0.1")
                    .hasMessageContaining("already in use")
                    .hasMessageContaining("choose a free port with httpPort(...)");
        }
    }

    @Test
    void aMissingBinaryIsAClearError() {
        assertThatThrownBy(() -> HaproxyRouter.builder().prefix(prefix).haproxyBinary(prefix.resolve("no-haproxy"))
                .httpPort(1).build())
                .isInstanceOf(BerthException.class)
                .hasMessageContaining("install Debian's haproxy package (apt-get install haproxy)");
    }

    @Test
    void drivesAnExternalHaproxyAndKeepsTheLastGoodFileWhenTheReloadFails() throws Exception {
        Endpoint a1 = upstream("a1");
        Endpoint a2 = upstream("a2");
        int port = freePort();
        Path conf = prefix.resolve("haproxy.cfg");
        Files.writeString(conf, "global\n    master-worker\n\ndefaults\n    mode http\n    timeout connect 1s\n"
                + "    timeout client 5s\n    timeout server 5s\n\nfrontend hand\n    bind 127.0.0.1:" + port + "\n"
                + "    http-request return status 200 content-type text/plain string \"started by hand\\n\"\n");
        Files.createDirectories(prefix.resolve("logs"));
        Process haproxy = new ProcessBuilder("/usr/sbin/haproxy", "-W", "-f", conf.toString())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(prefix.resolve("logs/access.log").toFile()))
                .redirectError(prefix.resolve("haproxy.err").toFile()).start();
        try {
            // refused until the proxy started by hand has bound its port
            await().atMost(5, SECONDS).ignoreExceptions()
                    .untilAsserted(() -> assertThat(get(port, "x").body()).contains("by hand"));
            // its worker holds the listening socket: apply waits until it let go, though it has no admin socket
            List<Long> handWorkers = haproxy.toHandle().children().map(ProcessHandle::pid).toList();
            assertThat(Listeners.holders(Listeners.inodes(InetAddress.getLoopbackAddress(), Set.of(port))))
                    .containsExactlyInAnyOrderElementsOf(handWorkers);
            List<String> reload = List.of("/bin/kill", "-USR2", Long.toString(haproxy.pid()));
            HaproxyRouter router = HaproxyRouter.builder().external(conf, reload).httpPort(port).build();
            routers.add(router);
            assertThat(router.ownedPid()).isEmpty();

            router.apply(table("a.test", "appa", a1));
            assertThat(router.lastApplyPath()).isEqualTo(ApplyPath.RELOAD);
            Response first = get(port, "a.test");
            assertThat(first).isEqualTo(new Response(200, "a1"));

            // the file declares the admin socket: endpoint changes need no reload, here too
            long worker = router.workerPid().orElseThrow();
            router.apply(table("a.test", "appa", a2));
            assertThat(router.lastApplyPath()).isEqualTo(ApplyPath.RUNTIME_API);
            Response second = get(port, "a.test");
            assertThat(second).isEqualTo(new Response(200, "a2"));
            assertThat(router.workerPid()).hasValue(worker);
            // haproxy's stdout is the access log the router reads under its prefix
            await().atMost(5, SECONDS).untilAsserted(() -> assertThat(router.traffic())
                    .isEqualTo(Map.of("a.test", new Traffic(2, first.size() + second.size()))));
            String good = Files.readString(conf);

            HaproxyRouter failing = HaproxyRouter.builder().external(conf, List.of("/bin/false")).httpPort(port).build();
            routers.add(failing);
            assertThatThrownBy(() -> failing.apply(table("b.test", "appb", a1)))
                    .isInstanceOf(BerthException.class).hasMessageContaining("reload [/bin/false] failed");
            assertThat(Files.readString(conf)).isEqualTo(good);
            assertThat(get(port, "a.test")).isEqualTo(new Response(200, "a2"));

            router.close();
            failing.close();
            assertThat(haproxy.isAlive()).as("an external haproxy outlives the router").isTrue();
        } finally {
            haproxy.destroy();
            haproxy.waitFor(10, SECONDS);
        }
    }

    @Test
    void noRequestFailsWhileEndpointsAreReplacedAndHaproxyReloads() throws Exception {
        HaproxyRouter router = router();
        List<Upstream> live = new ArrayList<>(List.of(upstreamServer("u0"), upstreamServer("u1")));
        Endpoint side = upstream("side");
        router.apply(loadTable(live, side, false));
        long worker = router.workerPid().orElseThrow();

        // bounded at 60 s as a safety net; the test stops it after its rounds (a 12 s bound ran out
        // on a busy machine while one reload took 12.7 s, and the load could no longer progress)
        Load load = new Load(router.settings().httpPort(), List.of("load.test", "side.test"), 24, 60_000);
        List<CompletableFuture<Void>> stopping = new ArrayList<>();
        load.start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> load.total() >= 100); // the load runs
            for (int round = 1; round <= 6; round++) {
                Upstream neu = upstreamServer("n" + round);
                live.add(neu);
                router.apply(loadTable(live, side, round >= 3 && round <= 4));
                boolean reloaded = round == 3 || round == 5;
                assertThat(router.lastApplyPath()).as("round %d", round)
                        .isEqualTo(reloaded ? ApplyPath.RELOAD : ApplyPath.RUNTIME_API);
                Upstream old = live.remove(0);
                router.apply(loadTable(live, side, round >= 3 && round <= 4));
                assertThat(router.lastApplyPath()).isEqualTo(ApplyPath.RUNTIME_API);
                // as a platform would: a short grace for requests already on their way, then stop it
                // (in the background: HttpServer.stop waits out its whole delay on JDK 17)
                stopping.add(CompletableFuture.runAsync(() -> {
                    pause(300);
                    old.server().stop(1);
                }));
                if (round < 3) {
                    assertThat(router.workerPid()).as("no reload in round %d", round).hasValue(worker);
                }
                // the load meets this configuration before the next change
                long served = load.total();
                await().atMost(Duration.ofSeconds(10)).until(() -> load.total() >= served + 100);
            }
        } finally {
            load.stop();
            stopping.forEach(CompletableFuture::join);
        }

        LOG.info("load: {} requests in {} ms, {} failed, {} with a Connection header added by haproxy",
                load.total(), load.millis(), load.failures.size(), load.withConnectionHeader.sum());
        assertThat(load.failures).as("failed requests").isEmpty();
        assertThat(load.statuses).as("statuses").containsOnlyKeys(200);
        assertThat(load.total()).as("requests served").isGreaterThan(1500);
        assertThat(router.reloads()).isEqualTo(3); // the first table, the extra domain in and out
        Map<String, Traffic> expected = new LinkedHashMap<>();
        load.received.forEach((domain, t) -> expected.put(domain, new Traffic(t[0].sum(), t[1].sum())));
        await().atMost(5, SECONDS).untilAsserted(() -> assertThat(router.traffic()).isEqualTo(expected));
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static RoutingTable loadTable(List<Upstream> live, Endpoint side, boolean extraDomain) {
        Map<String, Route> routes = new LinkedHashMap<>();
        routes.put("load.test", new Route("load", Balance.ROUND_ROBIN, live.stream().map(Upstream::endpoint).toList()));
        routes.put("side.test", new Route("side", Balance.LEAST_CONN, List.of(side)));
        if (extraDomain) {
            routes.put("extra.test", new Route("extra", Balance.LEAST_CONN, List.of(side)));
        }
        return new RoutingTable(routes);
    }

    /**
     * Client threads doing GETs through haproxy, each on a fresh connection, until stopped or out of
     * time; they record every failure and what they received per domain.
     */
    private static final class Load {
        final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        final List<String> failures = new CopyOnWriteArrayList<>();
        /** domain -> [requests, bytes] */
        final Map<String, LongAdder[]> received = new ConcurrentHashMap<>();
        final LongAdder withConnectionHeader = new LongAdder();
        private final int port;
        private final List<String> domains;
        private final List<Thread> threads = new ArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final long deadline;
        private final AtomicLong started = new AtomicLong();
        private final AtomicLong ended = new AtomicLong();

        Load(int port, List<String> domains, int threads, long maxMillis) {
            this.port = port;
            this.domains = domains;
            this.deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMillis);
            for (String d : domains) {
                received.put(d, new LongAdder[] {new LongAdder(), new LongAdder()});
            }
            for (int i = 0; i < threads; i++) {
                int n = i;
                this.threads.add(new Thread(() -> run(n), "load-" + i));
            }
        }

        void start() {
            started.set(System.nanoTime());
            threads.forEach(Thread::start);
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(10_000);
            }
            ended.set(System.nanoTime());
        }

        long total() {
            return statuses.values().stream().mapToLong(LongAdder::sum).sum();
        }

        long millis() {
            return (ended.get() - started.get()) / 1_000_000;
        }

        private void run(int n) {
            for (int i = 0; running.get() && System.nanoTime() < deadline && i < 1_000_000; i++) {
                String domain = domains.get((n + i) % domains.size());
                try {
                    Response r = get(port, domain);
                    statuses.computeIfAbsent(r.status(), k -> new LongAdder()).increment();
                    LongAdder[] t = received.get(domain);
                    t[0].increment();
                    t[1].add(r.counted());
                    if (r.counted() != r.size()) {
                        withConnectionHeader.increment();
                    }
                    if (r.status() != 200) {
                        failures.add(domain + ": " + r.status() + " " + r.body().strip());
                    }
                } catch (IOException e) {
                    failures.add(domain + ": " + e);
                }
            }
        }
    }

    // --- helpers ---------------------------------------------------------------------------

    private HaproxyRouter router() throws IOException {
        HaproxyRouter r = HaproxyRouter.builder().prefix(prefix).httpPort(freePort()).httpsPort(freePort()).build();
        routers.add(r);
        return r;
    }

    private static RoutingTable table(String domain, String app, Endpoint... endpoints) {
        return new RoutingTable(Map.of(domain, new Route(app, Balance.ROUND_ROBIN, List.of(endpoints))));
    }

    /** A tiny HTTP server on 127.0.0.1 that answers its own name. */
    private Endpoint upstream(String name) throws IOException {
        return upstreamServer(name).endpoint();
    }

    private record Upstream(HttpServer server, Endpoint endpoint) {
    }

    private Upstream upstreamServer(String name) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        byte[] body = name.getBytes(StandardCharsets.UTF_8);
        s.createContext("/", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        s.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "upstream-" + name);
            t.setDaemon(true);
            return t;
        }));
        s.start();
        servers.add(s);
        return new Upstream(s, new Endpoint("127.0.0.1", s.getAddress().getPort()));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * An answer; {@code counted} is its size without a Connection header line, which only haproxy's
     * HTTP/1 writer adds here (the upstreams send none, haproxy's own answers have none) and which
     * haproxy's traffic count leaves out (see AccessLog).
     */
    record Response(int status, String body, int size, int counted) {
        Response(int status, String body) {
            this(status, body, -1, -1);
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

    /**
     * GET / with a Host header over a fresh connection to the router, in HTTP/1.1 (so that haproxy
     * keeps the connection and adds no Connection header of its own: its traffic count is then the
     * exact size of what arrives); the answer is read by its Content-Length and the client closes.
     */
    static Response get(HaproxyRouter router, String host) throws IOException {
        return get(router.settings().httpPort(), host);
    }

    static Response get(int port, String host) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return read(s.getInputStream());
        }
    }

    /** One HTTP/1 response, its body read by Content-Length. */
    static Response read(InputStream stream) throws IOException {
        InputStream in = new java.io.BufferedInputStream(stream);
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed after '" + head + "'");
            }
            head.append((char) c);
        }
        String text = head.toString();
        int status = Integer.parseInt(text.substring(9, 12));
        int length = text.lines().filter(l -> l.regionMatches(true, 0, "content-length:", 0, 15))
                .map(l -> Integer.parseInt(l.substring(15).strip())).findFirst()
                .orElseThrow(() -> new IOException("no content-length in " + text));
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            throw new IOException("body cut short after " + body.length + " of " + length + " bytes");
        }
        int added = text.lines().filter(l -> l.regionMatches(true, 0, "connection:", 0, 11))
                .mapToInt(l -> l.length() + 2).sum();
        return new Response(status, new String(body, StandardCharsets.ISO_8859_1), text.length() + length,
                text.length() + length - added);
    }

    /** POST / with a body of {@code size} bytes (Content-Length), over a fresh connection. */
    private static Response post(HaproxyRouter router, String host, int size) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), router.settings().httpPort()), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("POST / HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: " + size + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            try {
                byte[] chunk = new byte[64 * 1024];
                for (int left = size; left > 0; left -= chunk.length) {
                    out.write(chunk, 0, Math.min(left, chunk.length));
                }
            } catch (IOException e) {
                // haproxy answered (413) and closed before the whole body was sent: read its answer
            }
            return read(s.getInputStream());
        }
    }

    private static SSLContext trusting(Path cert) throws Exception {
        X509Certificate x509;
        try (InputStream in = new ByteArrayInputStream(Files.readAllBytes(cert))) {
            x509 = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("tls.test", x509);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    private static Response getTls(SSLContext context, int port, String sni, String host) throws IOException {
        try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            s.setSoTimeout(5000);
            SSLParameters params = s.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(sni)));
            params.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(params);
            s.startHandshake();
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return read(s.getInputStream());
        }
    }
}
