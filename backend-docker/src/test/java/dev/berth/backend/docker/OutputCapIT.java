// Huge container and build output against a real dockerd: logs, follow and build output stay within their byte caps.
package dev.berth.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.junit.jupiter.api.io.TempDir;

import dev.berth.api.BackendException;
import dev.berth.support.OutputCaps;

/** Containers and builds that print lines of megabytes, on the local busybox image (nothing is pulled). */
class OutputCapIT {
    private static final Logger LOG = LoggerFactory.getLogger(OutputCapIT.class);
    /** A cut line: 4 KiB of content and its marker. */
    private static final int MAX_LINE = OutputCaps.LINE_BYTES + 64;

    @BeforeAll
    static void image() throws Exception {
        Kit.ensureDockerAndImage();
    }

    @AfterAll
    static void cleanUp() throws Exception {
        Kit.removeTestContainers();
    }

    private static long bytes(List<String> lines) {
        return lines.stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length + 1L).sum();
    }

    @Test
    void logsOfAHundredMegabyteLineAreBounded() throws Exception {
        String node = Kit.node();
        try (DockerBackend backend = Kit.builder(node).build()) {
            backend.start(Kit.req("huge-1", node, Kit.sh("huge", "head -c 100000000 /dev/zero | busybox tr '\\0' x; "
                    + "echo; echo after; exec sleep 600").build()));
            Kit.waiting().atMost(Duration.ofSeconds(60)).until(() -> backend.console().logs("huge-1", 1)
                    .equals(List.of("after")));
            long t0 = System.nanoTime();
            List<String> ten = backend.console().logs("huge-1", 10);
            LOG.info("logs(id, 10) of a 100 MB line: {} ms, {} bytes", (System.nanoTime() - t0) / 1_000_000, bytes(ten));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            assertThat(ten).last().isEqualTo("after");
            assertThat(ten).allMatch(l -> l.getBytes(StandardCharsets.UTF_8).length <= MAX_LINE);
            assertThat(ten.get(0)).matches("x{4096}\\.\\.\\. \\([0-9]+ bytes cut\\)");
            List<String> many = backend.console().logs("huge-1", 100_000);
            assertThat(bytes(many)).isLessThanOrEqualTo(OutputCaps.ANSWER_BYTES);
            assertThat(many).last().isEqualTo("after");
            backend.stop("huge-1", Duration.ZERO);
        }
    }

    @Test
    void aFollowedHugeLineArrivesCutWithItsCount() throws Exception {
        String node = Kit.node();
        try (DockerBackend backend = Kit.builder(node).build()) {
            backend.start(Kit.req("fol-1", node, Kit.sh("fol", "sleep 2; head -c 3000000 /dev/zero | busybox tr '\\0' f; "
                    + "echo; echo next; exec sleep 600").build()));
            List<String> followed = new CopyOnWriteArrayList<>();
            try (AutoCloseable f = backend.console().follow("fol-1", followed::add)) {
                Kit.waiting().until(() -> followed.contains("next"));
            }
            assertThat(followed.get(followed.indexOf("next") - 1))
                    .isEqualTo("f".repeat(4096) + "... (" + (3_000_000 - 4096) + " bytes cut)");
            backend.stop("fol-1", Duration.ZERO);
        }
    }

    @Test
    void aBuildPrintingTwentyMegabytesAndFailingGivesBoundedProgressAndMessage(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("Dockerfile"), "FROM " + Kit.IMAGE + "\nLABEL " + Kit.TEST_LABEL + "=true\n"
                + "RUN head -c 20000000 /dev/zero | busybox tr '\\0' y; echo; echo it-broke; exit 3\n");
        String image = "berth-test/loud:" + Kit.node();
        try (DockerBackend backend = Kit.builder(Kit.node()).build()) {
            List<String> progress = new CopyOnWriteArrayList<>();
            assertThatThrownBy(() -> backend.buildImageIfNotExist(image, dir, progress::add))
                    .isInstanceOf(BackendException.class)
                    .hasMessageContaining("returned a non-zero code: 3")
                    .hasMessageContaining("it-broke")
                    .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(BuildLog.TAIL_LINES * MAX_LINE + 10_000));
            assertThat(progress).contains("it-broke").allMatch(l -> l.getBytes(StandardCharsets.UTF_8).length <= MAX_LINE);
            assertThat(bytes(progress)).isLessThanOrEqualTo(BuildLog.BUILD_BYTES + 200);
            assertThat(progress).anyMatch(l -> l.matches("y{4096}\\.\\.\\. \\([0-9]+ bytes cut\\)"));
        }
    }
}
