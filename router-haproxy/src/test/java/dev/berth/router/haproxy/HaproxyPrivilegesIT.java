// What an owned haproxy runs as and holds when the platform runs as root: workers' uid and environment, across reloads.
package dev.berth.router.haproxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.berth.api.Balance;
import dev.berth.api.Endpoint;
import dev.berth.api.RoutingTable;
import dev.berth.api.RoutingTable.Route;
import dev.berth.support.ProxyEnvironment;
import dev.berth.support.ProxyUser;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * As root (CI runs as root; the test fails, never skips, otherwise), against the real haproxy: the
 * workers run as www-data, and haproxy's master and workers hold none of this JVM's environment
 * beyond PATH/LANG/LC_ALL/TZ (and haproxy's own HAPROXY_* variables), before and after a reload;
 * the Runtime API still works.
 */
class HaproxyPrivilegesIT {
    @TempDir
    Path tmp;

    private final List<HttpServer> servers = new ArrayList<>();
    private HaproxyRouter router;

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
        servers.forEach(s -> s.stop(0));
    }

    @Test
    void theWorkersRunAsWwwDataAndHaproxyGetsNoneOfTheJvmsOtherEnvironment() throws Exception {
        assertThat(uid(ProcessHandle.current().pid())).as("this test runs as root, as CI does").isZero();
        Set<String> passed = Set.copyOf(ProxyEnvironment.PASSED);
        assertThat(System.getenv().keySet()).as("this JVM has variables that must not pass").anyMatch(k -> !passed.contains(k));
        Endpoint one = upstream("one");
        Endpoint two = upstream("two");
        int port = HaproxyRouterIT.freePort();
        router = HaproxyRouter.builder().prefix(tmp.resolve("h")).httpPort(port).httpsPort(HaproxyRouterIT.freePort()).build();
        router.apply(table(Map.of("a.test", List.of(one))));
        assertThat(HaproxyRouterIT.get(port, "a.test").body()).isEqualTo("one");
        assertPrivileges(passed);

        router.apply(table(Map.of("a.test", List.of(two)))); // endpoints only: the Runtime API
        assertThat(router.lastApplyPath()).isEqualTo(HaproxyRouter.ApplyPath.RUNTIME_API);
        assertThat(HaproxyRouterIT.get(port, "a.test").body()).isEqualTo("two");

        router.apply(table(Map.of("a.test", List.of(two), "b.test", List.of(one)))); // a new domain: a reload
        assertThat(router.lastApplyPath()).isEqualTo(HaproxyRouter.ApplyPath.RELOAD);
        assertThat(HaproxyRouterIT.get(port, "b.test").body()).isEqualTo("one");
        assertPrivileges(passed); // the master re-executed itself, the worker is new
    }

    private void assertPrivileges(Set<String> passed) throws IOException {
        long master = router.ownedPid().orElseThrow();
        long worker = router.workerPid().orElseThrow();
        int wwwData = ProxyUser.lookup("proxyUser", "www-data", ProxyUser.PASSWD, ProxyUser.GROUP).uid();
        for (long pid : List.of(master, worker)) {
            assertThat(environ(pid)).as("the environment of haproxy %d", pid).contains("PATH")
                    .allMatch(name -> passed.contains(name) || name.startsWith("HAPROXY_"));
        }
        assertThat(uid(master)).as("the master binds ports and reloads as root").isZero();
        assertThat(uid(worker)).as("worker %d", worker).isEqualTo(wwwData);
    }

    private Endpoint upstream(String name) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", ex -> {
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        s.start();
        servers.add(s);
        return new Endpoint("127.0.0.1", s.getAddress().getPort());
    }

    private static RoutingTable table(Map<String, List<Endpoint>> domains) {
        Map<String, Route> routes = new LinkedHashMap<>();
        domains.forEach((d, eps) -> routes.put(d, new Route("app" + d.charAt(0), Balance.ROUND_ROBIN, eps)));
        return new RoutingTable(routes);
    }

    static int uid(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith("Uid:")).map(l -> Integer.parseInt(l.split("\\s+")[1])).findFirst()
                .orElseThrow();
    }

    /** The names of the variables in {@code /proc/<pid>/environ}. */
    static Set<String> environ(long pid) throws IOException {
        String raw = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")), StandardCharsets.UTF_8);
        return Arrays.stream(raw.split("\0")).filter(s -> !s.isEmpty()).map(s -> s.substring(0, Math.max(0, s.indexOf('='))))
                .collect(Collectors.toSet());
    }
}
