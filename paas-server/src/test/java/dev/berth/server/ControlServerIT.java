package dev.berth.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.core.Platform;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control API against a real platform (the process backend running real {@code sh} instances)
 * through a real server on a loopback port: tokens and scopes, the app and instance resources, and
 * the errors, each checked to change nothing.
 */
class ControlServerIT {
    private static final String ADMIN = "admin-token-0123456789";
    private static final String DEPLOY_WEB = "deploy-web-token-0123456789";
    private static final String READ = "read-token-0123456789";
    private static final String APP = """
            {"command": ["sh", "-c", "echo started $BERTH_INSTANCE_ID; exec sleep 300"],
             "env": {"GREETING": "hello", "SECRET": "s3cret-value"}, "instances": 2}
            """;

    @TempDir
    Path tmp;

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Platform platform;
    private ControlServer server;

    @BeforeEach
    void start() {
        platform = TestPlatforms.processes(tmp, 8, b -> b);
        server = ControlServer.builder().platform(platform).bind("127.0.0.1", 0).maxBodyBytes(64 << 10)
                .tokens(Tokens.parse(List.of("admin " + ADMIN, "deploy " + DEPLOY_WEB + " web", "read " + READ), "test"))
                .build();
    }

    @AfterEach
    void stop() {
        TestPlatforms.stop(server, platform);
    }

    record Answer(int status, JsonNode body) {
    }

    private Answer call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        return new Answer(r.statusCode(), json.readTree(r.body()));
    }

    private void awaitRunning(String app, int count) {
        await().atMost(Duration.ofSeconds(30)).until(() -> platform.instances(app).size() == count
                && platform.instances(app).stream().allMatch(i -> i.record().state().name().matches("RUNNING|HEALTHY")));
    }

    @Test
    void tokensAndScopesDecideWhoMayDoWhat() throws Exception {
        assertThat(call("GET", "/v1/health", null, null).status()).isEqualTo(200);
        Answer none = call("GET", "/v1/apps", null, null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.body().get("error").asText()).contains("Authorization: Bearer");
        assertThat(call("GET", "/v1/apps", "wrong-token-0123456789", null).status()).isEqualTo(401);

        Answer readDeploys = call("PUT", "/v1/apps/web", READ, APP);
        assertThat(readDeploys.status()).isEqualTo(403);
        assertThat(readDeploys.body().get("error").asText()).contains("scope (read)").contains("needs deploy");
        Answer otherApp = call("PUT", "/v1/apps/db", DEPLOY_WEB, APP);
        assertThat(otherApp.status()).isEqualTo(403);
        assertThat(otherApp.body().get("error").asText()).contains("app 'db'");
        assertThat(platform.apps()).isEmpty(); // refused calls changed nothing

        assertThat(call("PUT", "/v1/apps/web", DEPLOY_WEB, APP).status()).isEqualTo(200);
        assertThat(call("DELETE", "/v1/apps/web", DEPLOY_WEB, null).status()).isEqualTo(403); // removal is admin's
        awaitRunning("web", 2);
        String id = platform.instances("web").get(0).id();
        assertThat(call("GET", "/v1/instances/" + id + "/env", DEPLOY_WEB, null).status()).isEqualTo(403);
        assertThat(call("GET", "/v1/apps/web", READ, null).body().at("/spec/env/SECRET").asText())
                .isEqualTo(Views.HIDDEN); // env values may be secrets: only admin tokens see them
        assertThat(call("GET", "/v1/apps/web", ADMIN, null).body().at("/spec/env/SECRET").asText()).isEqualTo("s3cret-value");
    }

    @Test
    void appsAndInstancesAreDrivenOverHttp() throws Exception {
        Answer deployed = call("PUT", "/v1/apps/web", ADMIN, APP);
        assertThat(deployed.status()).isEqualTo(200);
        String r1 = deployed.body().get("release").asText();
        assertThat(deployed.body().get("deployId").asText()).isEqualTo(r1);
        awaitRunning("web", 2);

        JsonNode list = call("GET", "/v1/apps", READ, null).body();
        assertThat(list).hasSize(1);
        assertThat(list.get(0).get("name").asText()).isEqualTo("web");
        assertThat(list.get(0).get("release").asText()).isEqualTo(r1);
        assertThat(list.get(0).get("instances").asInt()).isEqualTo(2);
        JsonNode app = call("GET", "/v1/apps/web", READ, null).body();
        assertThat(app.at("/spec/command/0").asText()).isEqualTo("sh");
        assertThat(app.get("instanceRecords")).hasSize(2);

        assertThat(call("POST", "/v1/apps/web/scale", ADMIN, "{\"instances\": 3}").status()).isEqualTo(200);
        awaitRunning("web", 3);
        assertThat(call("GET", "/v1/apps/web/instances", READ, null).body()).hasSize(3);

        String id = platform.instances("web").get(0).id();
        JsonNode one = call("GET", "/v1/instances/" + id, READ, null).body();
        assertThat(one.get("id").asText()).isEqualTo(id);
        assertThat(one.get("app").asText()).isEqualTo("web");
        assertThat(one.get("backend").isObject()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> call("GET", "/v1/instances/" + id + "/logs?lines=5", READ, null)
                .body().get("lines").toString().contains("started " + id));
        assertThat(call("GET", "/v1/instances/" + id + "/env", ADMIN, null).body().get("GREETING").asText()).isEqualTo("hello");
        JsonNode exec = call("POST", "/v1/instances/" + id + "/exec", ADMIN,
                "{\"argv\": [\"sh\", \"-c\", \"echo $GREETING; exit 3\"], \"timeoutSeconds\": 10}").body();
        assertThat(exec.get("exitCode").asInt()).isEqualTo(3);
        assertThat(exec.get("output").asText()).contains("hello");

        // a new env is a new release; the old one is in the history, and rollback goes back to it
        JsonNode env = call("PATCH", "/v1/apps/web/env", ADMIN, "{\"set\": {\"GREETING\": \"hi\"}, \"unset\": [\"SECRET\"]}").body();
        String r2 = env.get("release").asText();
        assertThat(r2).isNotEqualTo(r1);
        assertThat(platform.app("web").spec().env()).containsEntry("GREETING", "hi").doesNotContainKey("SECRET");
        await().atMost(Duration.ofSeconds(60)).until(() -> call("GET", "/v1/apps/web/releases", READ, null).body()
                .findValuesAsText("outcome").equals(List.of("SUCCEEDED", "SUCCEEDED")));
        assertThat(call("POST", "/v1/apps/web/rollback", ADMIN, null).body().get("release").asText()).isEqualTo(r1);

        assertThat(call("POST", "/v1/apps/web/stop", ADMIN, null).status()).isEqualTo(200);
        assertThat(platform.app("web").stopped()).isTrue();
        assertThat(call("POST", "/v1/apps/web/start", ADMIN, null).status()).isEqualTo(200);
        assertThat(platform.app("web").stopped()).isFalse();

        JsonNode nodes = call("GET", "/v1/nodes", READ, null).body();
        assertThat(nodes.get(0).get("id").asText()).isEqualTo("local");
        assertThat(nodes.get(0).get("up").asBoolean()).isTrue();
        assertThat(call("GET", "/v1/traffic", READ, null).status()).isEqualTo(200);

        assertThat(call("DELETE", "/v1/apps/web", ADMIN, null).status()).isEqualTo(200);
        assertThatThrownBy(() -> platform.app("web")).isInstanceOf(dev.berth.api.NotFoundException.class);
    }

    @Test
    void aPlanSaysWhatADeployWouldDoAndChangesNothing() throws Exception {
        Answer fresh = call("POST", "/v1/apps/web/plan", READ, APP);
        assertThat(fresh.status()).isEqualTo(200);
        assertThat(fresh.body().get("newRelease").asBoolean()).isTrue();
        assertThat(fresh.body().get("currentRelease").isNull()).isTrue();
        assertThat(fresh.body().at("/placement/local").asInt()).isEqualTo(2);
        assertThat(fresh.body().get("toStart").asInt()).isEqualTo(2);
        assertThat(fresh.toString()).doesNotContain("s3cret-value");
        assertThat(call("GET", "/v1/apps", READ, null).body()).isEmpty();
        assertThat(platform.apps()).isEmpty();

        String r1 = call("PUT", "/v1/apps/web", ADMIN, APP).body().get("release").asText();
        awaitRunning("web", 2);
        List<String> running = platform.instances("web").stream().map(i -> i.id()).sorted().toList();
        JsonNode plan = call("POST", "/v1/apps/web/plan", DEPLOY_WEB, APP.replace("s3cret-value", "n3w-s3cret")).body();
        assertThat(plan.get("currentRelease").asText()).isEqualTo(r1);
        assertThat(plan.get("newRelease").asBoolean()).isTrue();
        assertThat(plan.get("changes")).hasSize(1);
        assertThat(plan.at("/changes/0/field").asText()).isEqualTo("env.SECRET");
        assertThat(plan.at("/changes/0/before").asText()).isEqualTo("(hidden)");
        assertThat(plan.toString()).doesNotContain("s3cret");
        assertThat(plan.get("steps")).hasSize(2);
        assertThat(plan.at("/steps/0/start").asInt()).isEqualTo(2);
        List<String> stopped = new java.util.ArrayList<>();
        plan.at("/steps/1/stop").forEach(n -> stopped.add(n.asText()));
        assertThat(stopped).containsExactlyInAnyOrderElementsOf(running);

        JsonNode same = call("POST", "/v1/apps/web/plan", READ, APP).body();
        assertThat(same.get("unchanged").asBoolean()).isTrue();
        assertThat(same.get("steps")).isEmpty();
        assertThat(platform.app("web").release()).isEqualTo(r1);
        assertThat(platform.instances("web").stream().map(i -> i.id()).sorted().toList()).isEqualTo(running);

        Answer bad = call("POST", "/v1/apps/web/plan", READ, "{\"command\": [\"sh\"], \"instances\": -2}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().get("field").asText()).isEqualTo("instances");
        assertThat(call("POST", "/v1/apps/db/plan", DEPLOY_WEB, APP).status()).as("a token for web only").isEqualTo(403);
    }

    @Test
    void metricsArePrometheusText() throws Exception {
        call("PUT", "/v1/apps/web", ADMIN, APP);
        awaitRunning("web", 2);
        String id = platform.instances("web").get(0).id();
        call("POST", "/v1/instances/" + id + "/kill", ADMIN, null);
        await().atMost(Duration.ofSeconds(30)).until(() -> platform.instance(id).record().restarts() == 1);
        awaitRunning("web", 2);
        call("GET", "/v1/nothing", READ, null);

        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/metrics"))
                .header("Authorization", "Bearer " + READ).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElseThrow()).startsWith("text/plain; version=0.0.4");
        java.util.Map<String, Double> samples = new java.util.HashMap<>();
        for (String line : r.body().lines().toList()) {
            if (line.isEmpty() || line.startsWith("#")) {
                assertThat(line).matches("|# (HELP|TYPE) [a-z_]+ .*");
                continue;
            }
            java.util.regex.Matcher m = java.util.regex.Pattern
                    .compile("([a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^}]*})?) ([-+0-9.eE]+|NaN)").matcher(line);
            assertThat(m.matches()).as("a Prometheus sample line: %s", line).isTrue();
            samples.put(m.group(1), Double.parseDouble(m.group(3)));
        }
        assertThat(samples.entrySet()).anyMatch(e -> e.getKey().matches("berth_instances\\{app=\"web\",state=\"(running|healthy)\"}")
                && e.getValue() == 2.0);
        assertThat(samples).containsEntry("berth_restarts_total{app=\"web\"}", 1.0);
        assertThat(samples).containsEntry("berth_api_requests_total{method=\"GET\",status=\"404\"}", 1.0);
        assertThat(samples.get("berth_api_requests_total{method=\"PUT\",status=\"200\"}")).isEqualTo(1.0);
        assertThat(samples.get("berth_placements_seconds_count")).isGreaterThanOrEqualTo(1.0);
        assertThat(samples.get("berth_placements_seconds_sum")).isPositive();
        assertThat(samples.get("berth_placement_max_seconds")).isPositive().isLessThanOrEqualTo(
                samples.get("berth_placements_seconds_sum"));
        assertThat(samples).containsEntry("berth_router_applies_seconds_count", 0.0); // this platform has no router
        assertThat(call("GET", "/metrics", null, null).status()).isEqualTo(401);
    }

    @Test
    void anAddressOutsideTheAllowListIsRefusedBeforeItsTokenIsLookedAt() throws Exception {
        server.close();
        server = ControlServer.builder().platform(platform).bind("127.0.0.1", 0).tokens(Tokens.admin(ADMIN))
                .allow(AllowList.parse("10.0.0.0/8")).build();
        Answer refused = call("GET", "/v1/apps", ADMIN, null);
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.body().get("error").asText()).contains("127.0.0.1").contains("allow-list");
        assertThat(call("GET", "/v1/health", null, null).status()).isEqualTo(403);
        assertThat(call("PUT", "/v1/apps/web", ADMIN, APP).status()).isEqualTo(403);
        assertThat(platform.apps()).isEmpty();
        server.close();
        server = ControlServer.builder().platform(platform).bind("127.0.0.1", 0).tokens(Tokens.admin(ADMIN))
                .allow(AllowList.parse("10.0.0.0/8,127.0.0.0/8")).build();
        assertThat(call("GET", "/v1/apps", ADMIN, null).status()).isEqualTo(200);
    }

    @Test
    void badRequestsAreAnsweredWithWhatIsWrongAndChangeNothing() throws Exception {
        Answer bad = call("PUT", "/v1/apps/web", ADMIN, "{\"command\": [\"sh\"], \"instances\": -2}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().get("field").asText()).contains("instances");
        assertThat(bad.body().get("value").asText()).isEqualTo("-2");
        assertThat(bad.body().get("allowed").asText()).isNotBlank();
        assertThat(call("PUT", "/v1/apps/web", ADMIN, "{not json").status()).isEqualTo(400);
        assertThat(call("PUT", "/v1/apps/web", ADMIN, "[1, 2]").body().get("field").asText()).isEqualTo("body");
        assertThat(call("PUT", "/v1/apps/Web_App", ADMIN, APP).body().get("field").asText()).isEqualTo("name");
        assertThat(platform.apps()).isEmpty();

        assertThat(call("GET", "/v1/apps/nope", READ, null).status()).isEqualTo(404);
        assertThat(call("GET", "/v1/instances/nope-1", READ, null).status()).isEqualTo(404);
        assertThat(call("GET", "/v1/nothing", READ, null).status()).isEqualTo(404);
        assertThat(call("POST", "/v1/apps", ADMIN, "{}").status()).isEqualTo(405);
        assertThat(call("PUT", "/v1/apps/web", ADMIN, "{\"x\": \"" + "a".repeat(100 << 10) + "\"}").status()).isEqualTo(413);

        call("PUT", "/v1/apps/web", ADMIN, APP);
        Answer noRollback = call("POST", "/v1/apps/web/rollback", ADMIN, null);
        assertThat(noRollback.status()).isEqualTo(409);
        assertThat(noRollback.body().get("error").asText()).contains("no earlier release");
        Answer scale = call("POST", "/v1/apps/web/scale", ADMIN, "{\"instances\": \"lots\"}");
        assertThat(scale.status()).isEqualTo(400);
        assertThat(scale.body().get("field").asText()).isEqualTo("instances");
        assertThat(platform.app("web").spec().instances().count()).isEqualTo(2);
        Answer exec = call("POST", "/v1/instances/" + platform.instances("web").get(0).id() + "/exec", ADMIN,
                "{\"argv\": [], \"timeoutSeconds\": 10}");
        assertThat(exec.status()).isEqualTo(400);
        assertThat(exec.body().get("field").asText()).isEqualTo("argv");
        assertThat(call("GET", "/v1/instances/" + platform.instances("web").get(0).id() + "/logs?lines=0", READ, null)
                .body().get("allowed").asText()).isEqualTo("1-10000");
    }
}
