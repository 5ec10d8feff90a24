package dev.berth.backend.process;

import static dev.berth.backend.process.Kit.req;
import static dev.berth.backend.process.Kit.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;

/** Issue 12 item 4: a setup printing one 20 MB line and failing gives a bounded error and bounded build events. */
class OutputCapsIT {
    @TempDir
    Path base;
    ProcessBackend backend;

    @BeforeEach
    void open() {
        backend = Kit.builder(base).build();
    }

    @AfterEach
    void cleanUp() {
        backend.close();
        Kit.stopAll(base);
    }

    @Test
    void aSetupPrintingOneHugeLineFailsWithABoundedErrorAndBoundedEvents() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        backend.onBuildOutput((app, release, node, line) -> events.add(line));
        AppSpec spec = sh("web", "sleep 300").setup("/bin/sh", "-c",
                "echo starting; head -c 20000000 /dev/zero | tr '\\000' x; echo; echo 'it failed' >&2; exit 3").build();
        for (int attempt = 1; attempt <= 3; attempt++) {
            Throwable e = catchThrowable(() -> backend.start(req("s1", spec)));
            assertThat(e).isInstanceOf(BackendException.class);
            assertThat(e.getMessage()).contains("exited with 3").contains("it failed").contains("bytes cut)");
            assertThat(e.getMessage().length()).as("error of attempt %d", attempt)
                    .isLessThanOrEqualTo(LogFiles.ERROR_TAIL_CAP + 2048);
        }
        long total = events.stream().mapToLong(String::length).sum();
        assertThat(events).allMatch(l -> l.length() <= LogFiles.LINE_CAP + 100);
        assertThat(total).isLessThanOrEqualTo(3L * (Releases.REPORT_CAP + 2048));
        assertThat(events).contains("starting", "it failed");
        // setup.log keeps one rotation at most: the retries do not pile up 20 MB each
        Path release = base.resolve("node1/web/releases/r1");
        long logBytes = Files.size(release.resolve(Releases.SETUP_LOG));
        long rotated = Files.exists(release.resolve(Releases.SETUP_LOG + ".1"))
                ? Files.size(release.resolve(Releases.SETUP_LOG + ".1")) : 0;
        assertThat(logBytes + rotated).isLessThan(2L * 20_000_000 + 4096);
    }
}
