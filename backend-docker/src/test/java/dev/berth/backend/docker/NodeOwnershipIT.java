// Two nodes (two platforms) on one engine with an instance id in common: neither takes, stops nor kills the other's container.
package dev.berth.backend.docker;

import static dev.berth.backend.docker.Kit.docker;
import static dev.berth.backend.docker.Kit.req;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.spi.RunningInstance;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Container names are {@code berth-<instanceId>}, one namespace per engine, while a backend owns
 * only the containers labelled with its node: another node's container of the same name is
 * refused by {@code start} with a clear error, and is left alone by {@code stop} and {@code kill}.
 */
class NodeOwnershipIT {
    @BeforeAll
    static void image() throws Exception {
        Kit.ensureDockerAndImage();
    }

    @AfterAll
    static void removeImages() throws Exception {
        Kit.removeTestImages();
    }

    @AfterEach
    void tearDown() throws Exception {
        Kit.removeTestContainers();
    }

    @Test
    void anotherNodesContainerOfTheSameIdIsNeitherTakenNorStoppedNorKilled() throws Exception {
        String mine = Kit.node();
        String theirs = Kit.node();
        AppSpec spec = Kit.sh("shared", "exec sleep 300").build();
        try (DockerBackend a = Kit.builder(theirs).build(); DockerBackend b = Kit.builder(mine).build()) {
            RunningInstance running = a.start(req("shared-1", theirs, spec));

            assertThatThrownBy(() -> b.start(req("shared-1", mine, spec)))
                    .isInstanceOf(BackendException.class)
                    .hasMessageContaining("container berth-shared-1")
                    .hasMessageContaining("belongs to node '" + theirs + "'")
                    .hasMessageContaining("not this backend's node '" + mine + "'");
            b.stop("shared-1", Duration.ofSeconds(1)); // not ours: gone as far as node b is concerned
            b.kill("shared-1");

            assertThat(docker("inspect", "-f", "{{.Id}} {{.State.Running}}", "berth-shared-1").out().trim())
                    .isEqualTo(running.handle() + " true");
            assertThat(b.list()).isEmpty();
            assertThat(a.list()).extracting(RunningInstance::handle).containsExactly(running.handle());
        }
    }
}
