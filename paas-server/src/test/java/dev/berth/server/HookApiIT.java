// /v1/modules and /v1/jobs against a real platform and real hook modules: who may set a preset, what others see of its options, errors.
package dev.berth.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.core.Manifests;
import dev.berth.core.Platform;
import dev.berth.hooks.FileSdModule;
import dev.berth.hooks.Hooks;
import dev.berth.hooks.WebhookModule;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hook endpoints over a platform on the process backend, with the webhook and file-sd modules. */
class HookApiIT {
    private static final String ADMIN = "admin-token-0123456789";
    private static final String DEPLOY = "deploy-token-0123456789";
    private static final String READ_WEB = "read-web-token-0123456789";
    private static final String SECRET = "a-webhook-secret-0123456789";

    @TempDir
    Path tmp;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private Platform platform;
    private Hooks hooks;
    private ControlServer server;

    @BeforeEach
    void start() {
        platform = TestPlatforms.processes(tmp, 8, b -> b);
        hooks = Hooks.builder().platform(platform).module(new WebhookModule()).module(new FileSdModule())
                .stateFile(tmp.resolve("hooks.json")).build();
        server = ControlServer.builder().platform(platform).hooks(hooks).bind("127.0.0.1", 0)
                .tokens(Tokens.parse(List.of("admin " + ADMIN, "deploy " + DEPLOY, "read " + READ_WEB + " web"), "test")).build();
    }

    @AfterEach
    void stop() {
        hooks.close();
        TestPlatforms.stop(server, platform);
    }

    private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The web page at {@code path}, after logging in with {@code token}. */
    private String webPage(String path, String token) throws Exception {
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).header("Cookie", cookie).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void onlyAnAdminSetsAPresetAndOthersSeeNoOptionValue() throws Exception {
        String preset = "{\"enabled\": true, \"options\": {\"url\": \"http://127.0.0.1:9/hook\", \"secret\": \"" + SECRET + "\"}}";
        HttpResponse<String> byDeploy = call("PUT", "/v1/modules/webhook/presets/web", DEPLOY, preset);
        assertThat(byDeploy.statusCode()).isEqualTo(403);
        assertThat(hooks.presets()).isEmpty();

        HttpResponse<String> put = call("PUT", "/v1/modules/webhook/presets/web", ADMIN, preset);
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(json.readTree(put.body()).path("options").path("secret").asText()).isEqualTo(SECRET);
        JsonNode modules = json.readTree(call("GET", "/v1/modules", READ_WEB, null).body());
        assertThat(modules.findValuesAsText("name")).containsExactly("file-sd", "webhook"); // by name
        assertThat(modules.toString()).contains("\"url\"").doesNotContain("http://127.0.0.1:9/hook").doesNotContain(SECRET);
        assertThat(call("GET", "/v1/modules/webhook/presets/web", READ_WEB, null).body()).doesNotContain(SECRET);
        assertThat(call("GET", "/v1/modules/webhook/presets/db", READ_WEB, null).statusCode()).isEqualTo(403);

        HttpResponse<String> badUrl = call("PUT", "/v1/modules/webhook/presets/web", ADMIN,
                "{\"enabled\": true, \"options\": {\"url\": \"ftp://x\", \"secret\": \"" + SECRET + "\"}}");
        assertThat(badUrl.statusCode()).isEqualTo(400);
        assertThat(json.readTree(badUrl.body()).path("field").asText()).isEqualTo("options.url");
        HttpResponse<String> shortSecret = call("PUT", "/v1/modules/webhook/presets/web", ADMIN,
                "{\"enabled\": true, \"options\": {\"url\": \"http://127.0.0.1:9/\", \"secret\": \"short\"}}");
        assertThat(shortSecret.statusCode()).isEqualTo(400);
        assertThat(shortSecret.body()).doesNotContain("\"short\"");
        assertThat(call("PUT", "/v1/modules/webhook/presets/web", ADMIN, "{\"options\": {}}").statusCode()).isEqualTo(400);
        assertThat(call("PUT", "/v1/modules/nope/presets/web", ADMIN, preset).statusCode()).isEqualTo(404);
        assertThat(hooks.preset("webhook", "web").orElseThrow().options()).containsEntry("url", "http://127.0.0.1:9/hook");

        String page = webPage("/hooks", READ_WEB);
        assertThat(page).contains("<table id=\"presets\">", ">webhook<", "url=").doesNotContain(SECRET)
                .doesNotContain("127.0.0.1:9/hook");
        assertThat(webPage("/hooks", ADMIN)).contains(SECRET, "http://127.0.0.1:9/hook");

        assertThat(call("DELETE", "/v1/modules/webhook/presets/web", ADMIN, null).statusCode()).isEqualTo(200);
        assertThat(hooks.presets()).isEmpty();
    }

    @Test
    void theJobsShowEachLaneAndAFileSdPresetFillsItsFile() throws Exception {
        Path dir = tmp.resolve("sd");
        assertThat(call("PUT", "/v1/modules/file-sd/presets/web", ADMIN, "{\"enabled\": true, \"options\": {\"dir\": \""
                + dir + "\"}}").statusCode()).isEqualTo(200);
        platform.deploy(Manifests.fromTree("web", Map.of("command", List.of("sh", "-c",
                "exec busybox httpd -f -p 127.0.0.1:$PORT -h ."), "env", Map.of("PORT", "RANDOM_PORT"), "instances", 2)));
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("web.json"))
                && json.readTree(dir.resolve("web.json").toFile()).size() == 2);
        JsonNode lanes = json.readTree(call("GET", "/v1/jobs?app=web", READ_WEB, null).body());
        assertThat(lanes).hasSize(1);
        assertThat(lanes.get(0).fieldNames()).toIterable().containsExactly("module", "app", "enabled", "pending", "inProgress",
                "attempts", "lastError", "nextAttempt", "acknowledged", "jobs");
        await().atMost(Duration.ofSeconds(10)).until(() -> json.readTree(call("GET", "/v1/jobs", ADMIN, null).body())
                .get(0).path("acknowledged").asInt() == 2);
    }
}
