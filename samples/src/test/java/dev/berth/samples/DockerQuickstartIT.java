package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.berth.samples.TestTools.docker;
import static dev.berth.samples.TestTools.words;
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

/** The Docker quickstart as a newcomer runs it: 3 containers, one killed and respawned, Ctrl-C stops all. */
class DockerQuickstartIT {
    @TempDir
    Path tmp;

    @Test
    void runsThreeContainersRespawnsAKilledOneAndStopsAllOnCtrlC() throws Exception {
        JavaMain quickstart = new JavaMain(tmp.resolve("quickstart.out"), DockerQuickstart.class, tmp.toString());
        try (quickstart) {
            await().atMost(Duration.ofSeconds(120)).until(() -> quickstart.count("hello runs 3 containers") == 1
                    && quickstart.count("  container ") == 3);
            assertThat(quickstart.count(": build: ")).as("the image build's output").isPositive();
            List<String> endpoints = quickstart.all("(http://127\\.0\\.0\\.1:\\d+/)$");
            List<String> containers = quickstart.all("^  hello-\\d+  container ([0-9a-f]{12})");
            assertThat(containers).hasSize(3);
            HttpClient http = HttpClient.newHttpClient();
            String body = http.send(HttpRequest.newBuilder(URI.create(endpoints.get(0))).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(body).startsWith("hello from hello-");

            docker("kill", containers.get(0));

            await().atMost(Duration.ofSeconds(60)).until(() -> quickstart.count(": respawning in") == 1
                    && quickstart.count(": healthy") == 4);
            assertThat(quickstart.terminate()).isNotEqualTo(-1);
            assertThat(quickstart.lines()).contains("stopped.");
            for (String c : quickstart.all("started, container ([0-9a-f]{12})")) {
                assertThat(docker("ps", "-q", "--filter", "id=" + c)).as("container %s", c).isBlank();
            }
        } finally {
            // Whatever happened, leave no container or image behind.
            for (String c : quickstart.all("started, container ([0-9a-f]{12})")) {
                docker("rm", "-f", c);
            }
            for (String image : words(docker("images", "-q", "berth/hello"))) {
                docker("rmi", "-f", image);
            }
        }
    }
}
