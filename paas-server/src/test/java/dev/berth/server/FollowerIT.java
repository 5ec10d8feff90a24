// A follower controller's API: requests forwarded to the leader's real server (answers, errors, streams, the web page's login), 503 without a leader.
package dev.berth.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.Instances;
import dev.berth.core.Platform;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FollowerIT {
    private static final String ADMIN = "admin-token-0123456789";
    @TempDir
    Path tmp;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private Platform platform;
    private ControlServer leader;
    private ControlServer follower;
    private volatile Optional<String> leaderUrl = Optional.empty();

    @BeforeEach
    void start() {
        platform = TestPlatforms.processes(tmp, 8, b -> b);
        leader = ControlServer.builder().platform(platform).bind("127.0.0.1", 0).heartbeat(Duration.ofMillis(500))
                .tokens(Tokens.admin(ADMIN)).build();
        follower = ControlServer.builder().bind("127.0.0.1", 0).follower(() -> leaderUrl).build();
    }

    @AfterEach
    void stop() {
        follower.close();
        TestPlatforms.stop(leader, platform);
    }

    private HttpResponse<String> call(ControlServer to, String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(to.url() + path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withoutALeaderAFollowerAnswers503AndWithOneItForwardsEverything() throws Exception {
        HttpResponse<String> none = call(follower, "GET", "/v1/apps", ADMIN, null);
        assertThat(none.statusCode()).isEqualTo(503);
        assertThat(none.headers().firstValue("Retry-After")).hasValue("2");
        assertThat(json.readTree(call(follower, "GET", "/v1/leader", null, null).body()).get("leader").isNull()).isTrue();

        leaderUrl = Optional.of(leader.url());
        JsonNode who = json.readTree(call(follower, "GET", "/v1/leader", null, null).body());
        assertThat(who.get("leader").asText()).isEqualTo(leader.url());
        assertThat(who.get("self").asBoolean()).isFalse();
        assertThat(json.readTree(call(leader, "GET", "/v1/leader", null, null).body()).get("self").asBoolean()).isTrue();

        HttpResponse<String> deploy = call(follower, "PUT", "/v1/apps/web", ADMIN,
                "{\"command\": [\"sh\", \"-c\", \"exec sleep 300\"], \"instances\": 1}");
        assertThat(deploy.statusCode()).as(deploy.body()).isEqualTo(200);
        assertThat(deploy.headers().firstValue(LeaderForwarder.LEADER_HEADER)).hasValue(leader.url());
        assertThat(platform.app("web").spec().instances().count()).isEqualTo(1);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> platform.instances("web").stream()
                .allMatch(i -> i.record().state() == dev.berth.api.InstanceState.HEALTHY));
        assertThat(call(follower, "GET", "/v1/apps", ADMIN, null).body()).isEqualTo(call(leader, "GET", "/v1/apps", ADMIN, null).body());
        HttpResponse<String> noToken = call(follower, "GET", "/v1/apps", null, null);
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(noToken.headers().firstValue("WWW-Authenticate")).isPresent();
        assertThat(call(follower, "POST", "/v1/apps/web/scale", ADMIN, "{\"instances\": \"lots\"}").statusCode()).isEqualTo(400);

        // the web page's login through the follower: its cookie comes back and opens the page
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(follower.url() + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", follower.url()) // a browser on the follower's page: the leader must see its own origin
                .POST(HttpRequest.BodyPublishers.ofString("token=" + ADMIN)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).isEqualTo(303);
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        assertThat(http.send(HttpRequest.newBuilder(URI.create(follower.url() + "/")).header("Cookie", cookie).build(),
                HttpResponse.BodyHandlers.ofString()).body()).contains("href=\"/apps/web\"");
    }

    @Test
    void aRequestForwardedOnceIsNotForwardedAgain() throws Exception {
        leaderUrl = Optional.of(leader.url());
        HttpResponse<String> twice = http.send(HttpRequest.newBuilder(URI.create(follower.url() + "/v1/apps"))
                .header("Authorization", "Bearer " + ADMIN).header(LeaderForwarder.FORWARDED_HEADER, "http://127.0.0.1:1").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(twice.statusCode()).isEqualTo(503);
        assertThat(twice.body()).contains("does not lead either");
    }

    @Test
    void anEventStreamFlowsThroughAFollower() throws Exception {
        leaderUrl = Optional.of(leader.url());
        call(leader, "PUT", "/v1/apps/web", ADMIN, "{\"command\": [\"sh\", \"-c\", \"exec sleep 300\"], \"instances\": 1}");
        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(URI.create(follower.url() + "/v1/events?app=web"))
                .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
        try (BufferedReader in = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            platform.scale("web", Instances.of(2)); // after the stream opened: its events come through the follower
            String scaled = CompletableFuture.supplyAsync(() -> {
                try {
                    for (String l = in.readLine(); l != null; l = in.readLine()) {
                        if (l.startsWith("data: ") && l.contains("\"AppScaled\"")) {
                            return l;
                        }
                    }
                    return null;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).get(30, TimeUnit.SECONDS);
            assertThat(scaled).contains("\"app\":\"web\"");
        }
        assertThat(List.of(platform.app("web").spec().instances().count())).containsExactly(2);
    }
}
