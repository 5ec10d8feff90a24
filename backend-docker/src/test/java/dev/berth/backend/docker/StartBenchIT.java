package dev.berth.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.berth.api.AppSpec;
import dev.berth.spi.RunningInstance;

/**
 * The benchmark, bounded: 20 containers started through the backend and through the
 * {@code docker run} CLI, one after the other, in the same run; then a new backend adopts the 20.
 * Logs the figures for the README's performance section; asserts only what was started and
 * adopted (timing targets belong to benchmarks, not to pass/fail tests on a shared machine).
 */
class StartBenchIT {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StartBenchIT.class);
    private static final int N = 20;

    @BeforeAll
    static void image() throws Exception {
        Kit.ensureDockerAndImage();
    }

    @AfterEach
    void clean() throws Exception {
        Kit.removeTestContainers();
    }

    @AfterAll
    static void removeImages() throws Exception {
        Kit.removeTestImages();
    }

    @Test
    void twentyContainersThroughTheBackendAndTheCliThenAdoption() throws Exception {
        String node = Kit.node();
        AppSpec web = Kit.web("bench").build();
        long berthNanos = 0;
        long cliNanos = 0;
        try (DockerBackend backend = Kit.builder(node).build()) {
            backend.start(Kit.req("warm", node, web)); // the first call loads classes and opens the connection
            // interleaved, so that both see the same number of containers already running
            for (int i = 0; i < N; i++) {
                long t0 = System.nanoTime();
                backend.start(Kit.req("bench-" + i, node, web));
                berthNanos += System.nanoTime() - t0;
                t0 = System.nanoTime();
                Kit.Result r = Kit.docker("run", "-d", "--name", "cli-bench-" + i, "--label",
                        Kit.TEST_LABEL + "=true", "--restart", "no", "-e", "PORT=8080", "-p", "127.0.0.1::8080",
                        Kit.IMAGE, "sh", "-c",
                        "mkdir -p /tmp/w && echo hello > /tmp/w/index.html && exec httpd -f -p $PORT -h /tmp/w");
                cliNanos += System.nanoTime() - t0;
                assertThat(r.code()).as(r.out()).isZero();
            }
        }

        List<RunningInstance> adopted;
        long adoptNanos;
        try (DockerBackend restarted = Kit.builder(node).build()) {
            long a0 = System.nanoTime();
            adopted = restarted.list();
            adoptNanos = System.nanoTime() - a0;
        }
        double berthMs = berthNanos / 1e6 / N;
        double cliMs = cliNanos / 1e6 / N;
        LOG.info(String.format(java.util.Locale.ROOT, "BENCH start %d containers: berth %.1f ms/container, "
                + "docker run CLI %.1f ms/container; adopting %d running containers: %.0f ms", N, berthMs, cliMs,
                adopted.size(), adoptNanos / 1e6));
        assertThat(adopted).hasSize(N + 1);
    }
}
