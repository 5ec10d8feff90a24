package dev.berth.backend.process;

import static dev.berth.backend.process.Kit.alive;
import static dev.berth.backend.process.Kit.req;
import static dev.berth.backend.process.Kit.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.berth.api.AppSpec;
import dev.berth.spi.RunningInstance;

/**
 * The platform's JVM dies (kill -9) after an instance's process is launched and before its
 * {@code instance.properties} is written: the next backend on the same base directory must list
 * that process (so the platform adopts or stops it) and must not start the same id a second time.
 * The death is stood for by {@code afterLaunch} throwing exactly there. Found by ServeChaosIT: a
 * Serve killed while a rollout launched 3 instances left 3 processes that no later Serve saw.
 */
class InterruptedLaunchIT {
    @TempDir
    Path base;

    /** The interrupted launch: the app's pid and its wrapper's (its session), killed after each test whatever happened. */
    private long launchedPid = -1;
    private long wrapperPid = -1;

    @AfterEach
    void cleanUp() {
        Kit.stopAll(base);
        if (wrapperPid > 0) {
            Procs.session(wrapperPid, java.util.OptionalLong.empty()).forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** Launches web-1 with a backend that "dies" between the launch and the record; returns the app's pid. */
    private long launchThenDie() throws Exception {
        AppSpec spec = sh("web", "exec sleep 300").env(Map.of("PORT", "RANDOM_PORT")).build();
        try (ProcessBackend dying = Kit.builder(base).build()) {
            dying.afterLaunch = id -> {
                throw new IllegalStateException("the JVM dies here");
            };
            assertThatThrownBy(() -> dying.start(req("web-1", spec))).hasMessage("the JVM dies here");
        }
        Path dir = base.resolve("node1/web/instances/web-1");
        InstanceLauncher.Launched launched = InstanceLauncher.read(dir.resolve(Wrapper.PID)).orElseThrow();
        launchedPid = launched.pid();
        wrapperPid = launched.wrapperPid();
        assertThat(alive(launchedPid)).as("the launched process outlives its backend").isTrue();
        assertThat(dir.resolve(InstanceFile.NAME)).as("no record was written").doesNotExist();
        return launchedPid;
    }

    @Test
    void theNextBackendListsAndStopsAProcessWhoseLaunchWasNotRecorded() throws Exception {
        long pid = launchThenDie();

        try (ProcessBackend next = Kit.builder(base).build()) {
            List<RunningInstance> listed = next.list();
            assertThat(listed).extracting(RunningInstance::instanceId, RunningInstance::handle, RunningInstance::app,
                    RunningInstance::release, RunningInstance::node)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("web-1", Long.toString(pid), "web", "r1", "node1"));
            assertThat(listed.get(0).endpoint()).as("the port it was given").isNotNull();
            assertThat(Files.exists(base.resolve("node1/web/instances/web-1").resolve(InstanceFile.LAUNCHING))).isFalse();

            next.stop("web-1", Duration.ofSeconds(5));

            assertThat(alive(pid)).isFalse();
            assertThat(next.list()).isEmpty();
        }
    }

    @Test
    void aStartOfTheSameIdAfterAnInterruptedLaunchAdoptsItInsteadOfRunningItTwice() throws Exception {
        long pid = launchThenDie();

        try (ProcessBackend next = Kit.builder(base).build()) {
            RunningInstance started = next.start(req("web-1", sh("web", "exec sleep 300").env(Map.of("PORT", "RANDOM_PORT"))
                    .build()));

            assertThat(started.handle()).isEqualTo(Long.toString(pid));
            assertThat(next.list()).extracting(RunningInstance::handle).containsExactly(Long.toString(pid));
        }
    }

    @Test
    void aLaunchThatEndedLeavesNothingToList() throws Exception {
        long pid = launchThenDie();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        Kit.waiting().until(() -> !alive(pid));

        try (ProcessBackend next = Kit.builder(base).build()) {
            assertThat(next.list()).isEmpty();
            assertThat(Files.exists(base.resolve("node1/web/instances/web-1").resolve(InstanceFile.LAUNCHING))).isFalse();
        }
    }
}
