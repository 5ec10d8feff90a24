// Huge output against a real OpenSSH host: logs, setup output and rotation stay within their byte caps.
package dev.berth.backend.ssh;

import static dev.berth.backend.ssh.Kit.req;
import static dev.berth.backend.ssh.Kit.waiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.spi.RunningInstance;
import dev.berth.support.OutputCaps;

/** One real sshd host; apps that print lines of tens of megabytes. */
class OutputCapIT {
    private static final Logger LOG = LoggerFactory.getLogger(OutputCapIT.class);
    /** A cut line: 4 KiB of content and its marker. */
    private static final int MAX_LINE = OutputCaps.LINE_BYTES + OutputCaps.MARKER_BYTES;
    private static Kit kit;
    private SshBackend backend;

    @BeforeAll
    static void hosts() throws Exception {
        kit = Kit.withHosts(51, 1);
    }

    @AfterAll
    static void removeHosts() {
        if (kit != null) {
            kit.close();
        }
    }

    @BeforeEach
    void setUp() {
        backend = kit.backend().build();
    }

    @AfterEach
    void tearDown() {
        try {
            for (RunningInstance i : backend.list()) {
                backend.stop(i.instanceId(), Duration.ZERO);
            }
        } finally {
            backend.close();
        }
    }

    private static long bytes(List<String> lines) {
        return lines.stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length + 1L).sum();
    }

    private Path instanceDir(String id) {
        return kit.netns("h51").baseDir.resolve("instances").resolve(id);
    }

    @Test
    void logsOfOneHundredMegabyteLineAreBoundedAndReadQuickly() throws Exception {
        backend.start(req("big-1", "h51", Kit.sh("big", "head -c 100000000 /dev/zero | tr '\\0' x; echo; "
                + "echo after; exec sleep 600").build()));
        Path log = instanceDir("big-1").resolve("output.log");
        waiting().until(() -> Files.size(log) >= 100_000_007L);

        long t0 = System.nanoTime();
        List<String> ten = backend.console().logs("big-1", 10);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        LOG.info("logs(id, 10) of a 100 MB line: {} ms, {} bytes", took.toMillis(), bytes(ten));
        assertThat(took).isLessThan(Duration.ofSeconds(5));
        assertThat(ten).last().isEqualTo("after");
        assertThat(ten).hasSize(2);
        // the line began before the 1 MiB read: it is marked at both ends
        assertThat(ten.get(0)).startsWith("... xxxx").matches("\\.\\.\\. x{4096}\\.\\.\\. \\([0-9]+ bytes cut\\)");
        assertThat(bytes(ten)).isLessThanOrEqualTo(OutputCaps.ANSWER_BYTES);
        assertThat(backend.console().logs("big-1", 1)).containsExactly("after");
    }

    @Test
    void tenLinesOfTwentyMegabytesAndManyLongLinesStayWithinTheAnswerCap() throws Exception {
        backend.start(req("ten-1", "h51", Kit.sh("ten", "i=0; while [ $i -lt 10 ]; do head -c 20000000 /dev/zero "
                + "| tr '\\0' a; echo; i=$((i+1)); done; i=0; while [ $i -lt 400 ]; do head -c 5000 /dev/zero "
                + "| tr '\\0' b; echo \" $i\"; i=$((i+1)); done; exec sleep 600").build()));
        Path log = instanceDir("ten-1").resolve("output.log");
        waiting().atMost(Duration.ofSeconds(60)).until(() -> Files.size(log) >= 200_000_010L + 400 * 5002L);

        List<String> many = backend.console().logs("ten-1", 100_000);
        assertThat(bytes(many)).isLessThanOrEqualTo(OutputCaps.ANSWER_BYTES);
        assertThat(many).allMatch(l -> l.getBytes(StandardCharsets.UTF_8).length <= MAX_LINE + 4);
        // a 5,004-byte line keeps 4 KiB and says how much was cut
        assertThat(many).last().isEqualTo("b".repeat(4096) + "... (908 bytes cut)");
        List<String> ten = backend.console().logs("ten-1", 10);
        assertThat(ten).hasSize(10).allMatch(l -> l.matches("b{4096}\\.\\.\\. \\(90[78] bytes cut\\)"));
    }

    @Test
    void aSetupPrintingTwentyMegabytesAndFailingGivesBoundedOutputAndMessage() throws Exception {
        List<String> build = new CopyOnWriteArrayList<>();
        backend.onBuildOutput((app, release, node, line) -> build.add(line));
        AppSpec app = Kit.sleeper("loud").setup("sh", "-c", "echo before; head -c 20000000 /dev/zero | tr '\\0' y; "
                + "echo; echo 'it broke'; exit 3").build();
        assertThatThrownBy(() -> backend.start(req("loud-1", "h51", app)))
                .isInstanceOf(BackendException.class)
                .hasMessageContaining("exited with 3")
                .hasMessageContaining("it broke")
                .hasMessageContaining("bytes cut)")
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(OutputCaps.FAILURE_BYTES + 2048));

        AppSpec ok = Kit.sleeper("loud2").setup("sh", "-c", "i=0; while [ $i -lt 300 ]; do head -c 9000 /dev/zero "
                + "| tr '\\0' z; echo; i=$((i+1)); done; echo done").build();
        backend.start(req("loud2-1", "h51", ok));
        assertThat(build).isNotEmpty().allMatch(l -> l.getBytes(StandardCharsets.UTF_8).length <= MAX_LINE + 4);
        assertThat(bytes(build)).isLessThanOrEqualTo(Scripts.BUILD_BYTES);
        assertThat(build).last().isEqualTo("done");
    }

    @Test
    void rotationKeepsTheRotatedFileWithinItsCap() throws Exception {
        int cap = 64 * 1024;
        try (SshBackend small = kit.backend().heartbeat(Duration.ZERO).logMaxBytes(cap).build()) {
            small.start(req("rot-1", "h51", Kit.sh("rot", "i=0; while [ $i -lt 100000 ]; do echo \"rotated line $i\"; "
                    + "i=$((i+1)); done; exec sleep 600").build()));
            Path log = instanceDir("rot-1").resolve("output.log");
            waiting().until(() -> small.console().logs("rot-1", 1).equals(List.of("rotated line 99999")));
            assertThat(Files.size(log)).isGreaterThan(10L * cap);
            small.rotateLogs();
            Path rotated = log.resolveSibling("output.log.1");
            assertThat(Files.size(rotated)).isLessThanOrEqualTo(cap);
            assertThat(Files.size(log)).isZero();
            assertThat(Files.readString(rotated)).endsWith("rotated line 99998\nrotated line 99999\n");
            assertThat(small.console().logs("rot-1", 2)).containsExactly("rotated line 99998", "rotated line 99999");
            // no temp file is left beside it
            try (var s = Files.list(log.getParent())) {
                assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("output.log")))
                        .containsExactlyInAnyOrder("output.log", "output.log.1");
            }
        }
    }

    @Test
    void aFollowedHugeLineArrivesCutWithItsCount() throws Exception {
        backend.start(req("fol-1", "h51", Kit.sh("fol", "sleep 2; head -c 3000000 /dev/zero | tr '\\0' f; "
                + "echo; echo next; exec sleep 600").build()));
        List<String> followed = new CopyOnWriteArrayList<>();
        try (AutoCloseable f = backend.console().follow("fol-1", followed::add)) {
            waiting().until(() -> followed.contains("next"));
        }
        assertThat(followed.get(followed.indexOf("next") - 1))
                .isEqualTo("f".repeat(4096) + "... (" + (3_000_000 - 4096) + " bytes cut)");
    }
}
