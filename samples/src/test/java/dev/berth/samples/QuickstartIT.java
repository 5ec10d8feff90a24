package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quickstart as a newcomer runs it: 3 instances, one killed and respawned, Ctrl-C stops all. */
class QuickstartIT {
    @TempDir
    Path tmp;

    @Test
    void runsThreeInstancesRespawnsAKilledOneAndStopsAllOnCtrlC() throws Exception {
        JavaMain quickstart = new JavaMain(tmp.resolve("quickstart.out"), Quickstart.class, tmp.toString());
        try (quickstart) {
            await().atMost(Duration.ofSeconds(90)).until(() -> quickstart.count("hello runs 3 instances") == 1
                    && quickstart.count("  pid ") == 3);
            List<String> endpoints = quickstart.all("(http://127\\.0\\.0\\.1:\\d+/)$");
            List<String> pids = quickstart.all("^  hello-\\d+  pid (\\d+)");
            assertThat(pids).hasSize(3);
            HttpClient http = HttpClient.newHttpClient();
            String body = http.send(HttpRequest.newBuilder(URI.create(endpoints.get(0))).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(body).startsWith("hello from hello-");

            ProcessHandle.of(Long.parseLong(pids.get(0))).orElseThrow().destroyForcibly(); // kill -9

            await().atMost(Duration.ofSeconds(60)).until(() -> quickstart.count(": respawning in") == 1
                    && quickstart.count(": healthy") == 4);
            assertThat(quickstart.terminate()).isNotEqualTo(-1);
            assertThat(quickstart.lines()).contains("stopped.");
            List<String> allPids = quickstart.all("started, pid (\\d+)");
            assertThat(allPids).hasSize(4).noneMatch(JavaMain::alive);
        } finally {
            // Whatever happened, leave no instance running.
            SeenProcesses seen = new SeenProcesses();
            seen.addAll(quickstart.all("started, pid (\\d+)"));
            seen.killAll();
        }
    }
}
