package dev.berth.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** The builder's checks and the naming rules; no Docker needed. */
class DockerBackendTest {

    @Test
    void theBuilderRejectsBadValuesNamingTheOption() {
        DockerBackend.Builder b = DockerBackend.builder();
        assertThatThrownBy(() -> b.dockerHost("http://x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dockerHost 'http://x'").hasMessageContaining("unix:///path or tcp://host:port");
        assertThatThrownBy(() -> b.node("../x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("node '../x'");
        assertThatThrownBy(() -> b.publishAddress("1.2.3.4; rm")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("publishAddress");
        assertThatThrownBy(() -> b.label(DockerBackend.INSTANCE, "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Berth sets it");
        assertThatThrownBy(() -> b.label("Bad Key", "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("label key 'Bad Key'");
        assertThatThrownBy(() -> b.tls(Path.of("/no/such/dir"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ca.pem");
        assertThatThrownBy(() -> DockerBackend.builder().tls(Path.of("/tmp")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tcp://");
    }

    @Test
    void namesOfContainersAndReleaseImages() {
        assertThat(DockerBackend.containerName("web-1")).isEqualTo("berth-web-1");
        assertThat(dev.berth.support.docker.ReleaseImages.name("Web_App", "r1")).isEqualTo("berth/web_app:r1");
        assertThat(dev.berth.support.docker.ReleaseImages.name("web", "-odd/rel")).isEqualTo("berth/web:r-odd_rel");
        // a directory's release: the tag carries the release and a hash of the directory's path
        assertThat(dev.berth.support.docker.ReleaseImages.name("web", "r2", java.nio.file.Path.of("/srv/a")))
                .matches("berth/web:r2-[0-9a-f]{8}")
                .isNotEqualTo(dev.berth.support.docker.ReleaseImages.name("web", "r2", java.nio.file.Path.of("/srv/b")));
        assertThat(DockerBackend.shortId("0123456789abcdef")).isEqualTo("0123456789ab");
    }
}
