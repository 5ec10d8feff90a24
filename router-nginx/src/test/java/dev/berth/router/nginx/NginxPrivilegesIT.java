// What an owned nginx runs as and holds when the platform runs as root: workers' uid, environment, temp files.
package dev.berth.router.nginx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.Balance;
import dev.berth.api.Endpoint;
import dev.berth.api.RoutingTable;
import dev.berth.api.RoutingTable.Route;
import dev.berth.support.ProxyEnvironment;
import dev.berth.support.ProxyUser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * As root (CI runs as root; the test fails, never skips, otherwise), against the real nginx: the
 * workers run as www-data, nginx gets none of this JVM's environment beyond PATH/LANG/LC_ALL/TZ,
 * and request bodies larger than nginx's memory buffer (written to temp files by the workers) pass,
 * whether the prefix is reachable by www-data or sits under a mode-700 directory.
 */
class NginxPrivilegesIT {
    @TempDir
    Path tmp; // mode 700: www-data cannot reach anything under it

    private Fixtures fx;

    @BeforeEach
    void start() {
        fx = new Fixtures(tmp);
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    @Test
    void theWorkersRunAsWwwDataAndNginxGetsNoneOfTheJvmsOtherEnvironment() throws Exception {
        assertThat(uid(ProcessHandle.current().pid())).as("this test runs as root, as CI does").isZero();
        Set<String> passed = Set.copyOf(ProxyEnvironment.PASSED);
        assertThat(System.getenv().keySet()).as("this JVM has variables that must not pass").isNotEqualTo(passed)
                .anyMatch(k -> !passed.contains(k));
        NginxRouter router = fx.router("r", b -> b);
        Endpoint up = fx.upstream("one");
        router.apply(table(up));
        int port = Fixtures.httpPort(router);
        assertThat(Fixtures.get(port, "a.test").body()).isEqualTo("one http");

        long master = router.ownedPid().orElseThrow();
        List<Long> workers = ProcessHandle.of(master).orElseThrow().children().map(ProcessHandle::pid).toList();
        assertThat(workers).isNotEmpty();
        int wwwData = ProxyUser.lookup("proxyUser", "www-data", ProxyUser.PASSWD, ProxyUser.GROUP).uid();
        assertThat(uid(master)).as("the master binds ports and opens logs as root").isZero();
        // nginx writes its process title over its environment block, so /proc/<pid>/environ no longer
        // names the variables; its size still is exactly that of the block nginx was started with
        int expected = environSize(ProxyEnvironment.restrict(new ProcessBuilder("true")).environment());
        assertThat(environSize(System.getenv())).as("this JVM's environment is larger").isGreaterThan(expected);
        assertThat(Files.readAllBytes(Path.of("/proc", Long.toString(master), "environ"))).as("the master's environment")
                .hasSize(expected);
        for (long w : workers) {
            assertThat(uid(w)).as("worker %d", w).isEqualTo(wwwData);
            assertThat(Files.readAllBytes(Path.of("/proc", Long.toString(w), "environ"))).as("worker %d's environment", w)
                    .hasSize(expected);
        }
    }

    /** The bytes an environment block of {@code env} takes: NAME=VALUE and a NUL for each variable. */
    static int environSize(Map<String, String> env) {
        return env.entrySet().stream().mapToInt(e -> (e.getKey() + "=" + e.getValue()).getBytes(StandardCharsets.UTF_8).length + 1)
                .sum();
    }

    @Test
    void aLargeBodyGoesThroughTheWorkersTempFilesUnderAMode700Prefix() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp))).isEqualTo("rwx------");
        NginxRouter router = fx.router("r", b -> b);
        assertLargeBodyPasses(router);
        assertThat(Files.readString(router.configFile())).contains("client_body_temp_path " + WorkerTemp.FALLBACK_ROOT + "/nginx-");
    }

    @Test
    void aLargeBodyGoesThroughTheWorkersTempFilesUnderAReachablePrefix() throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        NginxRouter router = fx.router("r", b -> b);
        assertLargeBodyPasses(router);
        assertThat(Files.readString(router.configFile())).contains("client_body_temp_path " + tmp.resolve("r/temp/client_body") + ";");
    }

    private void assertLargeBodyPasses(NginxRouter router) throws Exception {
        Endpoint up = fx.upstream(ex -> Fixtures.answer(ex, 200, "got " + ex.getRequestBody().readAllBytes().length));
        router.apply(table(up));
        byte[] body = new byte[300 * 1024]; // nginx buffers 16 KiB in memory, the rest in a temp file
        Arrays.fill(body, (byte) 'x');
        Fixtures.Response r = Fixtures.request(Fixtures.httpPort(router), "a.test", "POST", body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("got " + body.length);
        assertThat(Files.readString(router.configFile().getParent().resolveSibling("logs/error.log")))
                .contains("a client request body is buffered to a temporary file");
    }

    private static RoutingTable table(Endpoint up) {
        return new RoutingTable(Map.of("a.test", new Route("web", Balance.ROUND_ROBIN, List.of(up))));
    }

    static int uid(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith("Uid:")).map(l -> Integer.parseInt(l.split("\\s+")[1])).findFirst()
                .orElseThrow();
    }
}
