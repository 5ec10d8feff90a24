package dev.berth.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.spi.RunningInstance;
import dev.berth.api.Source;

/** buildImageIfNotExist against a real dockerd, from the local busybox image (nothing is pulled). */
class ImageBuildIT {
    private static final String LABEL = "LABEL " + Kit.TEST_LABEL + "=true\n";

    @BeforeAll
    static void image() throws Exception {
        Kit.ensureDockerAndImage();
    }

    @AfterAll
    static void removeImages() throws Exception {
        Kit.removeTestImages();
    }

    @Test
    void buildsOnceAndSkipsTheSecondTime(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("Dockerfile"), "FROM " + Kit.IMAGE + "\n" + LABEL
                + "COPY hello.txt /hello.txt\nCMD [\"cat\", \"/hello.txt\"]\n");
        Files.writeString(dir.resolve("hello.txt"), "built by berth\n");
        String image = "berth-test/built:" + Kit.node();
        try (DockerBackend backend = Kit.builder(Kit.node()).build()) {
            List<String> progress = new CopyOnWriteArrayList<>();
            assertThat(backend.buildImageIfNotExist(image, dir, progress::add)).isTrue();
            assertThat(progress).anyMatch(l -> l.contains("COPY hello.txt"));
            assertThat(Kit.docker("image", "inspect", image).code()).isZero();
            assertThat(Kit.docker("run", "--rm", image).out()).isEqualTo("built by berth");

            List<String> second = new CopyOnWriteArrayList<>();
            assertThat(backend.buildImageIfNotExist(image, dir, second::add)).isFalse();
            assertThat(second).isEmpty();
        }
    }

    @Test
    void aTarballContextIsBuiltToo(@TempDir Path dir) throws Exception {
        Path ctx = Files.createDirectories(dir.resolve("ctx"));
        Files.writeString(ctx.resolve("Dockerfile"), "FROM " + Kit.IMAGE + "\n" + LABEL
                + "COPY hello.txt /hello.txt\nCMD [\"cat\", \"/hello.txt\"]\n");
        Files.writeString(ctx.resolve("hello.txt"), "from a bundle\n");
        Path tar = dir.resolve("bundle.tar.gz");
        assertThat(Kit.run(List.of("tar", "-C", ctx.toString(), "-czf", tar.toString(), ".")).code()).isZero();
        String image = "berth-test/bundle:" + Kit.node();
        try (DockerBackend backend = Kit.builder(Kit.node()).build()) {
            assertThat(backend.buildImageIfNotExist(image, tar)).isTrue();
            assertThat(Kit.docker("run", "--rm", image).out()).isEqualTo("from a bundle");
            assertThat(backend.buildImageIfNotExist(image, tar)).isFalse();
        }
    }

    @Test
    void aDirectorySourceIsBuiltIntoAnImageTaggedWithTheRelease(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("Dockerfile"), "FROM " + Kit.IMAGE + "\n" + LABEL
                + "COPY page.html /srv/www/index.html\nWORKDIR /srv\n");
        Files.writeString(dir.resolve("page.html"), "release page\n");
        String node = Kit.node();
        // a relative workingDir of code built from a Dockerfile is taken under the image's WORKDIR
        AppSpec spec = AppSpec.builder("dirapp").source(Source.directory(dir)).workingDir("www")
                .command("sh", "-c", "exec httpd -f -p $PORT -h .").env("PORT", AppSpec.RANDOM_PORT).build();
        try (DockerBackend backend = Kit.builder(node).build()) {
            List<String> output = new CopyOnWriteArrayList<>();
            backend.onBuildOutput((app, release, on, line) -> output.add(app + "/" + release + "@" + on + ": " + line));
            RunningInstance i = backend.start(Kit.req("dir-1", node, spec));
            assertThat(Kit.docker("inspect", "--format", "{{.Config.Image}}", i.handle()).out())
                    .matches("berth/dirapp:" + Kit.RELEASE + "-[0-9a-f]{8}");
            // the build's output came as it ran, tagged with the app, release and node
            assertThat(output).anyMatch(l -> l.startsWith("dirapp/" + Kit.RELEASE + "@" + node + ": ")
                    && l.contains("COPY page.html /srv/www/index.html"));
            HttpClient http = HttpClient.newHttpClient();
            Kit.waiting().ignoreExceptions().until(() -> http.send(
                    HttpRequest.newBuilder(URI.create("http://" + i.endpoint() + "/")).build(),
                    HttpResponse.BodyHandlers.ofString()).body().equals("release page\n"));
        } finally {
            Kit.removeTestContainers();
        }
    }

    @Test
    void aBrokenDockerfileFailsWithTheBuildsLastLines(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("Dockerfile"), "FROM " + Kit.IMAGE + "\n" + LABEL
                + "RUN echo about-to-fail && exit 7\n");
        String image = "berth-test/broken:" + Kit.node();
        try (DockerBackend backend = Kit.builder(Kit.node()).build()) {
            assertThatThrownBy(() -> backend.buildImageIfNotExist(image, dir))
                    .isInstanceOf(BackendException.class)
                    .hasMessageContaining("building image '" + image + "'")
                    .hasMessageContaining("returned a non-zero code: 7")
                    .hasMessageContaining("about-to-fail");
            assertThat(Kit.docker("image", "inspect", image).code()).isNotZero();
        }
    }

    @Test
    void aContextWithoutDockerfileIsRejected(@TempDir Path dir) {
        try (DockerBackend backend = Kit.builder(Kit.node()).build()) {
            assertThatThrownBy(() -> backend.buildImageIfNotExist("berth-test/none:1", dir))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Dockerfile");
        }
    }
}
