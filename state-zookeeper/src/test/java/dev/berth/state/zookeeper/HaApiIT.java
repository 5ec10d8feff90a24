// Two controllers, each with its API on its own port, sharing real ZooKeeper and the process backend: either port reaches the leader, across a failover.
package dev.berth.state.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.server.Tokens;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HaApiIT {
    private static final String TOKEN = "ha-admin-token-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    Path tmp;
    private Controllers controllers;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() throws Exception {
        controllers = new Controllers(tmp);
    }

    @AfterEach
    void stop() throws Exception {
        controllers.close();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A controller whose API is on {@code port}: the leader's ControlServer while it leads, a follower's otherwise. */
    private HaController controller(int port) throws Exception {
        HaApi[] api = new HaApi[1];
        HaController c = controllers.start(HaApi.url("127.0.0.1", port), "/berth/api",
                b -> b.onLead(p -> api[0].leading(p)).onStepDown(p -> api[0].following()));
        api[0] = new HaApi("127.0.0.1", port, c.leadership(), b -> b.tokens(Tokens.admin(TOKEN)));
        api[0].start();
        controllers.closeLater(api[0]);
        return c;
    }

    private HttpResponse<String> call(int port, String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(HaApi.url("127.0.0.1", port) + path))
                .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void eitherControllersPortReachesTheLeaderBeforeAndAfterAFailover() throws Exception {
        int p1 = freePort();
        int p2 = freePort();
        HaController c1 = controller(p1);
        await().atMost(WAIT).until(() -> c1.platform().isPresent());
        HaController c2 = controller(p2);
        await().atMost(WAIT).ignoreExceptions().until(() -> json.readTree(call(p2, "GET", "/v1/leader", null).body())
                .path("leader").asText().equals(HaApi.url("127.0.0.1", p1)));

        HttpResponse<String> deploy = call(p2, "PUT", "/v1/apps/web", "{\"command\": [\"sh\", \"-c\", \"exec sleep 300\"], \"instances\": 2}");
        assertThat(deploy.statusCode()).as(deploy.body()).isEqualTo(200); // sent to the follower, done by the leader
        await().atMost(WAIT).until(() -> c1.platform().orElseThrow().instances("web").size() == 2);

        controllers.expireSession(0);
        await().atMost(WAIT).until(() -> c2.platform().isPresent() && c1.platform().isEmpty());
        await().atMost(WAIT).ignoreExceptions().until(() -> {
            JsonNode who = json.readTree(call(p1, "GET", "/v1/leader", null).body());
            return who.path("leader").asText().equals(HaApi.url("127.0.0.1", p2)) && !who.path("self").asBoolean();
        });
        JsonNode apps = json.readTree(call(p1, "GET", "/v1/apps", null).body()); // the old leader's port, now forwarding
        assertThat(apps.get(0).path("name").asText()).isEqualTo("web");
        assertThat(json.readTree(call(p2, "GET", "/v1/leader", null).body()).path("self").asBoolean()).isTrue();
    }
}
