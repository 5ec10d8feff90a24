package dev.berth.backend.process;

import static dev.berth.backend.process.Kit.alive;
import static dev.berth.backend.process.Kit.req;
import static dev.berth.backend.process.Kit.sh;
import static dev.berth.backend.process.Kit.waiting;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.berth.api.Resources;
import dev.berth.spi.RunningInstance;

/**
 * Issue 12 item 8, as root on this machine's cgroups (v1 here and in CI; v2 where the machine has
 * it): each instance gets a cgroup of its own with its limits, stop kills all of it, a retired
 * instance's cgroup is removed.
 */
class CgroupIT {
    @TempDir
    Path base;
    ProcessBackend backend;

    @BeforeEach
    void open() {
        assertThat(Files.isWritable(Path.of("/sys/fs/cgroup"))).as("this test needs root and /sys/fs/cgroup").isTrue();
        backend = Kit.builder(base).build();
    }

    @AfterEach
    void cleanUp() {
        backend.close();
        Kit.stopAll(base);
    }

    /** The directory of a process's cgroup in one v1 controller's hierarchy, or its v2 cgroup. */
    private static Path cgroupOf(long pid, String controller) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            String[] f = line.split(":", 3);
            if (List.of(f[1].split(",")).contains(controller)) {
                return Path.of("/sys/fs/cgroup/" + controller + f[2]);
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            if (line.startsWith("0::")) {
                return Path.of("/sys/fs/cgroup" + line.substring(3));
            }
        }
        throw new AssertionError("pid " + pid + " has no " + controller + " cgroup");
    }

    private static boolean v2() {
        return Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
    }

    @Test
    void aChildThatLeavesTheSessionDoesNotSurviveStop() throws Exception {
        RunningInstance i = backend.start(req("esc", sh("web",
                "setsid -f sh -c 'echo $$ > escaped.pid; exec sleep 1000'; exec sleep 1000").build()));
        Path pidFile = base.resolve("node1/web/instances/esc/work/escaped.pid");
        waiting().until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
        long escaped = Long.parseLong(Files.readString(pidFile).trim());
        assertThat(alive(escaped)).isTrue();
        Path cgroup = cgroupOf(escaped, "pids");
        assertThat(cgroupOf(Long.parseLong(i.handle()), "pids")).isEqualTo(cgroup);

        backend.stop("esc", Duration.ofSeconds(2));

        waiting().atMost(Duration.ofSeconds(5)).until(() -> !alive(escaped));
        assertThat(alive(i.handle())).isFalse();
        waiting().atMost(Duration.ofSeconds(5)).until(() -> !Files.exists(cgroup));
    }

    @Test
    void memoryCpuAndPidsLimitsAreWrittenAndEnforced() throws Exception {
        Resources limits = Resources.of(Map.of(Resources.CPU, 0.5, Resources.MEMORY_MB, 64.0, "pids", 6.0));
        RunningInstance i = backend.start(req("lim", sh("web",
                "(n=0; while [ $n -lt 20 ]; do sleep 1000 & n=$((n+1)); done); echo spawned; exec sleep 1000")
                .resources(limits).build()));
        long pid = Long.parseLong(i.handle());
        waiting().until(() -> backend.console().logs("lim", 50).stream().anyMatch(l -> l.contains("spawned")));
        if (v2()) {
            Path cg = cgroupOf(pid, "memory");
            assertThat(Files.readString(cg.resolve("memory.max")).trim()).isEqualTo(Long.toString(64L << 20));
            assertThat(Files.readString(cg.resolve("cpu.max")).trim()).isEqualTo("50000 100000");
            assertThat(Files.readString(cg.resolve("pids.max")).trim()).isEqualTo("6");
        } else {
            assertThat(Files.readString(cgroupOf(pid, "memory").resolve("memory.limit_in_bytes")).trim())
                    .isEqualTo(Long.toString(64L << 20));
            assertThat(Files.readString(cgroupOf(pid, "cpu").resolve("cpu.cfs_quota_us")).trim()).isEqualTo("50000");
            assertThat(Files.readString(cgroupOf(pid, "cpu").resolve("cpu.cfs_period_us")).trim()).isEqualTo("100000");
            assertThat(Files.readString(cgroupOf(pid, "pids").resolve("pids.max")).trim()).isEqualTo("6");
        }
        Path pids = cgroupOf(pid, "pids");
        assertThat(Long.parseLong(Files.readString(pids.resolve("pids.current")).trim())).isLessThanOrEqualTo(6);
        assertThat(String.join("\n", backend.console().logs("lim", 50))).containsIgnoringCase("fork");

        backend.stop("lim", Duration.ofSeconds(2));
        waiting().atMost(Duration.ofSeconds(5)).until(() -> !Files.exists(pids));
    }

    @Test
    void killKillsTheWholeCgroupAndTheExitIsReported() throws Exception {
        Kit.Exits exits = new Kit.Exits();
        backend.onExit(exits);
        RunningInstance i = backend.start(req("kk", sh("web",
                "setsid -f sh -c 'echo $$ > escaped.pid; exec sleep 1000'; exec sleep 1000").build()));
        Path pidFile = base.resolve("node1/web/instances/kk/work/escaped.pid");
        waiting().until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
        long escaped = Long.parseLong(Files.readString(pidFile).trim());

        backend.kill("kk");

        waiting().until(() -> !exits.of("kk").isEmpty());
        assertThat(exits.of("kk").get(0).info().code()).isEqualTo(137);
        assertThat(alive(i.handle())).isFalse();
        waiting().atMost(Duration.ofSeconds(5)).until(() -> !alive(escaped));
    }
}
