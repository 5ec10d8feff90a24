package dev.berth.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The allow-list against a client on another address: a network namespace of this test's own
 * ({@code berth-api-1}, joined by a veth pair: 10.214.1.1 here, 10.214.1.2 there) calls the API with
 * bash's {@code /dev/tcp}. Outside the list it gets 403 whatever its token; once its block is
 * listed, 200. Needs root and iproute2 (the test command installs it).
 */
class AllowListNetnsIT {
    private static final String NS = "berth-api-1";
    private static final String HOST_SIDE = "bapi1h";
    private static final String TOKEN = "netns-admin-token-0123456789";

    @TempDir
    Path tmp;

    private Platform platform;
    private ControlServer server;

    @BeforeEach
    void namespace() throws IOException {
        removeNamespace();
        sh("ip", "netns", "add", NS);
        sh("ip", "link", "add", HOST_SIDE, "type", "veth", "peer", "name", "bapi1n");
        sh("ip", "link", "set", "bapi1n", "netns", NS);
        sh("ip", "addr", "add", "10.214.1.1/24", "dev", HOST_SIDE);
        sh("ip", "link", "set", HOST_SIDE, "up");
        sh("ip", "netns", "exec", NS, "ip", "addr", "add", "10.214.1.2/24", "dev", "bapi1n");
        sh("ip", "netns", "exec", NS, "ip", "link", "set", "bapi1n", "up");
        sh("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up");
        platform = Platform.builder().node(NodeSpec.of("local", Resources.builder().cpu(2).build()))
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .stateDir(tmp.resolve("state")).build();
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (server != null) {
            server.close();
        }
        if (platform != null) {
            platform.close();
        }
        removeNamespace();
    }

    private static void removeNamespace() throws IOException {
        run(List.of("ip", "link", "del", HOST_SIDE));
        run(List.of("ip", "netns", "del", NS));
    }

    /**
     * The raw HTTP answer to a GET from inside the namespace, sent by bash over {@code /dev/tcp}
     * (the script is constant; the port, path and token are its arguments).
     */
    private String getFromNamespace(String path) throws IOException {
        String script = "exec 3<>/dev/tcp/10.214.1.1/$1 || exit 1; "
                + "printf 'GET %s HTTP/1.0\\r\\nAuthorization: Bearer %s\\r\\n\\r\\n' \"$2\" \"$3\" >&3; cat <&3";
        return run(List.of("ip", "netns", "exec", NS, "timeout", "10", "bash", "-c", script, "get",
                Integer.toString(server.port()), path, TOKEN));
    }

    @Test
    void aClientOnAnAddressOutsideTheListGets403AndOneInsideGetsIn() throws Exception {
        server = ControlServer.builder().platform(platform).bind("10.214.1.1", 0).tokens(Tokens.admin(TOKEN))
                .allow(AllowList.parse("127.0.0.1/32,10.214.1.1/32")).build();
        String refused = getFromNamespace("/v1/apps");
        assertThat(refused).startsWith("HTTP/1.1 403").contains("10.214.1.2").contains("allow-list");
        server.close();
        server = ControlServer.builder().platform(platform).bind("10.214.1.1", 0).tokens(Tokens.admin(TOKEN))
                .allow(AllowList.parse("10.214.1.0/24")).build();
        assertThat(getFromNamespace("/v1/apps")).startsWith("HTTP/1.1 200").endsWith("[]");
    }

    private static void sh(String... argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", argv) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static String run(List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(argv + " did not end within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return out.strip();
    }
}
