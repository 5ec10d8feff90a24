package dev.berth.backend.process;

import static dev.berth.backend.process.Kit.alive;
import static dev.berth.backend.process.Kit.waiting;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.berth.spi.RunningInstance;

/** An instance outlives the JVM that started it, even a kill -9 of it, and a new backend adopts it. */
class SurvivesJvmKillIT {
    @TempDir
    Path base;
    Process jvm;

    @AfterEach
    void cleanUp() throws Exception {
        if (jvm != null && jvm.isAlive()) {
            jvm.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        Kit.stopAll(base);
    }

    @Test
    void instanceSurvivesKillDashNineOfItsJvmAndIsAdopted() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
                LauncherMain.class.getName(), base.toString(), "survivor");
        pb.redirectError(base.resolve("launcher-jvm.err").toFile());
        jvm = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                for (int n = 0; n < 100; n++) {
                    String l = out.readLine();
                    if (l == null || l.startsWith("PID ")) {
                        return l;
                    }
                }
                return null;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(60, TimeUnit.SECONDS);
        assertThat(line).as("launcher output; its stderr is in %s", base.resolve("launcher-jvm.err")).startsWith("PID ");
        long pid = Long.parseLong(line.substring(4).trim());
        Path output = base.resolve("node1/web/instances/survivor/output.log");
        waiting().until(() -> Files.exists(output) && Files.size(output) > 0);

        jvm.destroyForcibly();
        assertThat(jvm.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(jvm.exitValue()).isEqualTo(137);

        assertThat(alive(pid)).isTrue();
        long sizeAfterKill = Files.size(output);
        waiting().until(() -> Files.size(output) > sizeAfterKill + 30);
        assertThat(alive(pid)).isTrue();
        assertThat(ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
                .isNotEqualTo(Optional.of(jvm.pid()));

        Kit.Exits exits = new Kit.Exits();
        try (ProcessBackend adopter = Kit.builder(base).build()) {
            adopter.onExit(exits);
            List<RunningInstance> listed = adopter.list();
            assertThat(listed).extracting(RunningInstance::instanceId, RunningInstance::handle)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("survivor", Long.toString(pid)));
            assertThat(adopter.console().logs("survivor", 2)).allMatch(l -> l.startsWith("beat "));

            adopter.stop("survivor", Duration.ofSeconds(5));

            assertThat(alive(pid)).isFalse();
            assertThat(adopter.list()).isEmpty();
        }
        assertThat(exits.seen).isEmpty();
    }
}
