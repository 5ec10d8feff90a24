// Serve's hook modules across a kill -9: a webhook with jobs pending when Serve dies; the next Serve brings it to the ready instances.
package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.berth.hooks.WebhookModule;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Serve (its own JVM) with a webhook preset set over the API; the receiver on loopback is
 * slow, so jobs are pending when Serve gets SIGKILL. A new Serve on the same state adopts the
 * instances, reads the webhook's checkpoint and syncs, and applies its manifest again (back to 2
 * instances): the receiver ends holding exactly the app's ready instances, with a repeat only for
 * what was in flight.
 */
class ServeHooksIT {
    private static final String TOKEN = "serve-hooks-token-0123456789";
    private static final String SECRET = "a-webhook-secret-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private volatile long delayMillis = 400;
    private HttpServer receiver;
    private JavaMain serve;

    @AfterEach
    void stop() throws Exception {
        if (serve != null && serve.process.isAlive()) {
            serve.terminate();
        }
        if (receiver != null) {
            receiver.stop(0);
        }
    }

    private void startReceiver() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            String[] sig = String.valueOf(ex.getRequestHeaders().getFirst(WebhookModule.SIGNATURE)).split("[=,]");
            boolean signed = sig.length == 4 && sig[3].equals(WebhookModule.sign(SECRET, Long.parseLong(sig[1]), body));
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (signed) {
                received.add(JSON.readTree(body));
            }
            ex.sendResponseHeaders(signed ? 200 : 401, -1);
            ex.close();
        });
        receiver.start();
    }

    private JavaMain serve(int port, String out) throws Exception {
        return new JavaMain(Map.of(ServeApi.BERTH_TOKEN, TOKEN), tmp.resolve(out), Serve.class,
                "--manifests", tmp.resolve("apps").toString(), "--state", tmp.resolve("state").toString(), "--router", "none",
                "--api-port", Integer.toString(port));
    }

    private JsonNode call(int port, String method, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isLessThan(300);
        return JSON.readTree(r.body());
    }

    private Set<String> healthy(int port) throws Exception {
        Set<String> ids = new HashSet<>();
        call(port, "GET", "/v1/apps/web/instances", null).forEach(i -> {
            if (i.path("state").asText().equals("HEALTHY")) {
                ids.add(i.path("id").asText());
            }
        });
        return ids;
    }

    private Set<String> view() {
        Set<String> v = new HashSet<>();
        for (JsonNode j : received) {
            if (j.path("type").asText().equals("UP")) {
                v.add(j.path("instance").asText());
            } else {
                v.remove(j.path("instance").asText());
            }
        }
        return v;
    }

    @Test
    void afterAKill9WithJobsPendingTheNextServeBringsTheWebhookToTheReadyInstances() throws Exception {
        startReceiver();
        Files.createDirectories(tmp.resolve("apps"));
        Files.writeString(tmp.resolve("apps").resolve("web.yml"), """
                apps:
                  web:
                    command: [sh, -c, "echo hi > index.html; exec busybox httpd -f -p 127.0.0.1:$PORT -h ."]
                    env: {PORT: RANDOM_PORT}
                    instances: 2
                """);
        int port = TestTools.freePort();
        serve = serve(port, "serve1.out");
        try {
            await().atMost(WAIT).ignoreExceptions().until(() -> healthy(port).size() == 2);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the first Serve:\n" + String.join("\n", serve.lines()), e);
        }
        call(port, "PUT", "/v1/modules/webhook/presets/web", "{\"enabled\": true, \"options\": {\"url\": \"http://127.0.0.1:"
                + receiver.getAddress().getPort() + "/hook\", \"secret\": \"" + SECRET + "\"}}");
        call(port, "POST", "/v1/apps/web/scale", "{\"instances\": 8}");
        await().atMost(WAIT).until(() -> received.size() >= 3);
        JsonNode lanes = call(port, "GET", "/v1/jobs", null);
        assertThat(lanes.get(0).path("pending").asInt()).as("jobs are pending when Serve dies").isPositive();
        serve.process.destroyForcibly(); // SIGKILL: no shutdown hook, no last save
        assertThat(serve.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        int beforeRestart = received.size();

        delayMillis = 0;
        serve = serve(port, "serve2.out");
        try {
            // the new Serve applies the manifest folder again (2 instances): the webhook must follow that too
            await().atMost(WAIT).ignoreExceptions().until(() -> healthy(port).size() == 2
                    && call(port, "GET", "/v1/jobs", null).get(0).path("pending").asInt() == 0 && view().equals(healthy(port)));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("received " + received + "\nthe second Serve:\n" + String.join("\n", serve.lines()), e);
        }

        Map<String, Integer> ups = new HashMap<>();
        received.stream().filter(j -> j.path("type").asText().equals("UP"))
                .forEach(j -> ups.merge(j.path("instance").asText(), 1, Integer::sum));
        long repeated = ups.values().stream().filter(n -> n > 1).count();
        assertThat(repeated).as("UPs sent twice (in flight or not yet saved at the kill; %s received before it)", beforeRestart)
                .isLessThanOrEqualTo(2);
        assertThat(serve.lines()).noneMatch(l -> l.contains(SECRET));
        assertThat(Files.readString(tmp.resolve("state").resolve("platform").resolve("hooks.json"), StandardCharsets.UTF_8))
                .contains("\"webhook\"");
    }
}
