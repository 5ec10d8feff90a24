// The control API over a platform that routes through a real nginx: per-domain traffic, router timings, a plan.
package dev.berth.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.DeployRecord;
import dev.berth.api.InstanceState;
import dev.berth.core.Platform;
import dev.berth.router.nginx.NginxRouter;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real platform (process backend, instances of busybox's httpd) routed by a real, owned nginx,
 * driven through the API: the traffic nginx counted per domain, and the router's applies and the
 * loop's placements in {@code /metrics}. Fails, never skips, when nginx or busybox is missing.
 */
class ControlServerRouterIT {
    private static final String ADMIN = "admin-token-0123456789";
    private static final String APP = """
            {"command": ["sh", "-c", "echo hello > index.html; exec busybox httpd -f -p 127.0.0.1:$PORT -h ."],
             "env": {"PORT": "RANDOM_PORT"}, "instances": 2, "routing": {"domains": ["web.test"]}}
            """;

    @TempDir
    Path tmp;

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private int routerPort;
    private Platform platform;
    private ControlServer server;

    @BeforeEach
    void start() throws IOException {
        routerPort = freePort();
        int httpsPort = freePort();
        platform = TestPlatforms.processes(tmp, 8, b -> b.router(NginxRouter.builder().prefix(tmp.resolve("nginx"))
                .httpPort(routerPort).httpsPort(httpsPort).build()));
        server = ControlServer.builder().platform(platform).bind("127.0.0.1", 0)
                .tokens(Tokens.parse(List.of("admin " + ADMIN), "test")).build();
    }

    @AfterEach
    void stop() {
        TestPlatforms.stop(server, platform);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private JsonNode call(String method, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url() + path))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + ADMIN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    /** A GET of / for web.test through nginx, over a plain socket (java.net.http refuses to set Host); status and body. */
    private String[] throughNginx() throws IOException {
        try (Socket s = new Socket("127.0.0.1", routerPort)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: web.test\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int body = answer.indexOf("\r\n\r\n");
            return new String[] {answer.split(" ", 3)[1], body < 0 ? "" : answer.substring(body + 4)};
        }
    }

    private static double sample(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no sample " + name + " in:\n" + metrics));
    }

    @Test
    void trafficAndRouterTimingsComeFromTheRealRouter() throws Exception {
        JsonNode plan = call("POST", "/v1/apps/web/plan", APP);
        assertThat(plan.at("/placement/local").asInt()).isEqualTo(2);
        call("PUT", "/v1/apps/web", APP);
        // The rollout ends once nginx routes both instances (its apply returns when the old workers,
        // which answered "no healthy instance" before, have finished).
        await().atMost(Duration.ofSeconds(30)).until(() -> platform.history("web").stream()
                .anyMatch(d -> d.outcome() == DeployRecord.Outcome.SUCCEEDED));
        assertThat(platform.instances("web")).allMatch(i -> i.record().state() == InstanceState.HEALTHY).hasSize(2);

        int sent = 20;
        for (int i = 0; i < sent; i++) {
            String[] r = throughNginx();
            assertThat(r[0]).as("request %d: %s", i, r[1]).isEqualTo("200");
            assertThat(r[1]).isEqualTo("hello\n");
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> call("GET", "/v1/traffic", null).path("web.test")
                .path("requests").asLong() >= sent);
        String metrics = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/metrics"))
                .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(sample(metrics, "berth_router_applies_seconds_count")).isGreaterThanOrEqualTo(1.0);
        assertThat(sample(metrics, "berth_router_applies_seconds_sum")).isPositive();
        assertThat(sample(metrics, "berth_router_apply_max_seconds")).isPositive();
        assertThat(sample(metrics, "berth_placements_seconds_count")).isGreaterThanOrEqualTo(1.0);
        assertThat(sample(metrics, "berth_traffic_requests_total{domain=\"web.test\"}")).isGreaterThanOrEqualTo(sent);
    }
}
