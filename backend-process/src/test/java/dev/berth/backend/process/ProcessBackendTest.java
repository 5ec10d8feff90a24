package dev.berth.backend.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.spi.LaunchRequest;
import dev.berth.api.Source;

/** Fast checks that start no instance: builder validation, names, unsupported sources, files. */
class ProcessBackendTest {
    @TempDir
    Path base;

    @Test
    void builderRejectsBadValuesNamingOptionValueAndAllowed() {
        ProcessBackend.Builder b = ProcessBackend.builder();
        assertThatThrownBy(() -> b.portRange(9000, 8000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("portRange").hasMessageContaining("9000-8000").hasMessageContaining("65535");
        assertThatThrownBy(() -> b.portRange(0, 10)).hasMessageContaining("portRange 0-10");
        assertThatThrownBy(() -> b.logMaxBytes(10)).hasMessageContaining("logMaxBytes 10").hasMessageContaining("1024");
        assertThatThrownBy(() -> b.logFiles(0)).hasMessageContaining("logFiles 0").hasMessageContaining("1-100");
        assertThatThrownBy(() -> b.setupTimeout(Duration.ZERO)).hasMessageContaining("setupTimeout PT0S")
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> b.host("bad host")).hasMessageContaining("host 'bad host'");
        assertThatThrownBy(() -> b.baseDir(null)).hasMessageContaining("baseDir");
        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("baseDir");
    }

    @Test
    void builderAcceptsGoodValues() {
        try (ProcessBackend b = ProcessBackend.builder().baseDir(base.resolve("x")).host("127.0.0.1")
                .portRange(8000, 8000).logMaxBytes(1024).logFiles(1).setupTimeout(Duration.ofSeconds(1)).build()) {
            assertThat(b.name()).isEqualTo("process");
            assertThat(base.resolve("x")).isDirectory();
            assertThat(b.list()).isEmpty();
        }
    }

    @Test
    void badNamesAreRejectedBeforeTheyBecomePaths() {
        AppSpec spec = Kit.sh("web", "true").build();
        try (ProcessBackend b = Kit.builder(base).build()) {
            assertThatThrownBy(() -> b.start(new LaunchRequest("../evil", "n1", spec, "r1")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("instance id '../evil'");
            assertThatThrownBy(() -> b.start(new LaunchRequest("i1", "n/1", spec, "r1")))
                    .hasMessageContaining("node id 'n/1'");
            assertThatThrownBy(() -> b.start(new LaunchRequest("i1", "n1", spec, "..")))
                    .hasMessageContaining("release '..'");
            assertThatThrownBy(() -> b.stop(".hidden", Duration.ZERO)).hasMessageContaining("instance id '.hidden'");
            assertThatThrownBy(() -> b.console().logs("a b", 1)).hasMessageContaining("instance id 'a b'");
        }
        assertThat(base).isEmptyDirectory();
    }

    @Test
    void gitAndImageSourcesAreNotSupportedYet() {
        try (ProcessBackend b = Kit.builder(base).build()) {
            AppSpec git = Kit.sh("web", "true").source(Source.git("web", "abcdef1")).build();
            assertThatThrownBy(() -> b.start(Kit.req("i1", git))).isInstanceOf(BackendException.class)
                    .hasMessageContaining("cannot run a git source");
            AppSpec image = AppSpec.builder("web").source(Source.image("team/web:1")).build();
            assertThatThrownBy(() -> b.start(Kit.req("i1", image))).isInstanceOf(BackendException.class)
                    .hasMessageContaining("container image");
        }
    }

    @Test
    void unknownInstancesInTheConsoleAreNamed() {
        try (ProcessBackend b = Kit.builder(base).build()) {
            assertThatThrownBy(() -> b.console().logs("nope", 5)).isInstanceOf(BackendException.class)
                    .hasMessageContaining("'nope'");
            assertThatThrownBy(() -> b.console().exec("nope", List.of("true"), Duration.ofSeconds(1)))
                    .isInstanceOf(BackendException.class).hasMessageContaining("'nope'");
            assertThatThrownBy(() -> b.console().follow("nope", l -> { })).isInstanceOf(BackendException.class);
            b.stop("nope", Duration.ofSeconds(1));
            b.kill("nope");
        }
    }

    @Test
    void instanceFileRoundTripsAtomically() throws Exception {
        InstanceFile f = new InstanceFile("i1", "n1", "web", "r1", 4242, Instant.parse("2026-01-02T03:04:05.678Z"),
                OptionalLong.of(99), "127.0.0.1", 8080, base, Map.of("A", "x = y: \\ \u00e9", "PORT", "8080"),
                Optional.of(new RunAs(65534, 65534)), 4240, OptionalLong.of(98),
                Optional.of(new InstanceCgroup(false, List.of(Path.of("/sys/fs/cgroup/pids/berth/x.i1"),
                        Path.of("/sys/fs/cgroup/memory/berth/x.i1")))));
        Path file = base.resolve(InstanceFile.NAME);
        f.write(file);
        assertThat(InstanceFile.read(file)).isEqualTo(f);
        try (var files = Files.list(base)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void tailReadsAcrossRotatedFiles() throws Exception {
        Path out = base.resolve(LogFiles.OUTPUT);
        Files.writeString(LogFiles.rotated(out, 2), "a\nb\n");
        Files.writeString(LogFiles.rotated(out, 1), "c\nd\n");
        Files.writeString(out, "e\nf");
        assertThat(LogFiles.tail(out, 3, 3)).containsExactly("d", "e", "f");
        assertThat(LogFiles.tail(out, 10, 3)).containsExactly("a", "b", "c", "d", "e", "f");
        assertThat(LogFiles.tail(out, 10, 2)).containsExactly("c", "d", "e", "f");
        assertThat(LogFiles.tail(out, 0, 3)).isEmpty();
    }

    @Test
    void rotationShiftsCopiesAndTruncates() throws Exception {
        Path out = base.resolve(LogFiles.OUTPUT);
        for (int round = 0; round < 5; round++) {
            Files.writeString(out, ("round " + round + "\n").repeat(200));
            assertThat(LogFiles.rotateIfNeeded(out, 1024, 3)).isTrue();
            assertThat(Files.size(out)).isZero();
        }
        assertThat(LogFiles.rotateIfNeeded(out, 1024, 3)).isFalse();
        // each file was above the cap: the rotated copy keeps its last 1024 bytes, behind a marker line
        assertThat(Files.readString(LogFiles.rotated(out, 1))).startsWith("[berth: ").endsWith("round 4\n")
                .doesNotContain("round 3");
        assertThat(Files.readString(LogFiles.rotated(out, 2))).endsWith("round 3\n");
        assertThat(Files.size(LogFiles.rotated(out, 1))).isLessThanOrEqualTo(1024);
        assertThat(LogFiles.rotated(out, 3)).doesNotExist();
    }

    @Test
    void describesSignalExits() {
        assertThat(Procs.describe(3)).isEqualTo("exited with 3");
        assertThat(Procs.describe(137)).contains("137").contains("signal 9").contains("SIGKILL");
        assertThat(Procs.describe(143)).contains("SIGTERM");
    }
}
