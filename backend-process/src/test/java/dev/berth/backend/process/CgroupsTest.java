package dev.berth.backend.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.berth.api.BackendException;
import dev.berth.api.Resources;

/** The cgroup file writes, v2 and v1, against a temp directory standing in for /sys/fs/cgroup. */
class CgroupsTest {
    @TempDir
    Path mount;

    private static String read(Path file) throws Exception {
        return Files.readString(file).trim();
    }

    @Test
    void v2WritesMemoryCpuAndPidsMaxAndEnablesTheControllers() throws Exception {
        Path own = Files.createDirectories(mount.resolve("system.slice/app.service"));
        Files.writeString(mount.resolve("cgroup.controllers"), "cpuset cpu io memory pids\n");
        Files.writeString(own.resolve("cgroup.controllers"), "cpu memory pids\n");
        Files.writeString(own.resolve("cgroup.subtree_control"), "");
        Cgroups cgroups = Cgroups.detect(mount, List.of("0::/system.slice/app.service"), true, "t1");
        assertThat(cgroups.enabled()).isTrue();
        assertThat(cgroups.describe()).startsWith("v2");
        assertThat(read(own.resolve("cgroup.subtree_control"))).isEqualTo("+memory +cpu +pids");
        assertThat(read(own.resolve("berth/cgroup.subtree_control"))).isEqualTo("+memory +cpu +pids");

        InstanceCgroup cg = cgroups.create("web-1", Resources.of(Map.of(Resources.CPU, 1.5, Resources.MEMORY_MB, 256.0,
                "pids", 100.0)), "app 'web' instance 'web-1'").orElseThrow();
        Path dir = own.resolve("berth/t1.web-1");
        assertThat(cg.dirs()).containsExactly(dir);
        assertThat(cg.procsFiles()).containsExactly(dir.resolve("cgroup.procs"));
        assertThat(read(dir.resolve("memory.max"))).isEqualTo(Long.toString(256L << 20));
        assertThat(read(dir.resolve("cpu.max"))).isEqualTo("150000 100000");
        assertThat(read(dir.resolve("pids.max"))).isEqualTo("100");

        InstanceCgroup unlimited = cgroups.create("web-2", Resources.none(), "w").orElseThrow();
        Path dir2 = unlimited.dirs().get(0);
        assertThat(read(dir2.resolve("memory.max"))).isEqualTo("max");
        assertThat(read(dir2.resolve("cpu.max"))).isEqualTo("max 100000");
        assertThat(read(dir2.resolve("pids.max"))).isEqualTo(Long.toString(Cgroups.DEFAULT_PIDS));

        // a kill goes through cgroup.kill when the kernel has it
        Files.writeString(dir.resolve("cgroup.kill"), "0");
        cg.signal(true);
        assertThat(read(dir.resolve("cgroup.kill"))).isEqualTo("1");
        assertThat(InstanceCgroup.parse(cg.toProperty())).isEqualTo(cg);
    }

    @Test
    void v2WithoutTheControllersFallsBackToV1() throws Exception {
        Files.createDirectories(mount.resolve("unified"));
        Files.writeString(mount.resolve("unified/cgroup.controllers"), "hugetlb\n");
        for (String c : List.of("memory", "cpu", "pids")) {
            Files.createDirectories(mount.resolve(c + "/docker/abc"));
            Files.writeString(mount.resolve(c + "/cgroup.procs"), "");
        }
        List<String> self = List.of("9:pids:/docker/abc", "4:memory:/docker/abc", "1:cpu,cpuacct:/docker/abc", "0::/");
        Cgroups cgroups = Cgroups.detect(mount, self, true, "t2");
        assertThat(cgroups.describe()).isEqualTo("v1 [memory, cpu, pids]");

        InstanceCgroup cg = cgroups.create("w", Resources.of(0.25, 64), "app 'x' instance 'w'").orElseThrow();
        assertThat(cg.v2()).isFalse();
        assertThat(cg.dirs()).containsExactly(mount.resolve("memory/docker/abc/berth/t2.w"),
                mount.resolve("cpu/docker/abc/berth/t2.w"), mount.resolve("pids/docker/abc/berth/t2.w"));
        assertThat(read(mount.resolve("memory/docker/abc/berth/t2.w/memory.limit_in_bytes"))).isEqualTo("67108864");
        assertThat(read(mount.resolve("cpu/docker/abc/berth/t2.w/cpu.cfs_quota_us"))).isEqualTo("25000");
        assertThat(read(mount.resolve("cpu/docker/abc/berth/t2.w/cpu.cfs_period_us"))).isEqualTo("100000");
        assertThat(read(mount.resolve("pids/docker/abc/berth/t2.w/pids.max"))).isEqualTo("4096");
    }

    @Test
    void withoutRootOrHierarchiesThereAreNoCgroupsAndStartsStillWork() throws Exception {
        assertThat(Cgroups.detect(mount, List.of("0::/"), false, "t").enabled()).isFalse();
        assertThat(Cgroups.detect(mount, List.of("0::/"), true, "t").enabled()).isFalse();
        assertThat(Cgroups.none().create("x", Resources.none(), "w")).isEmpty();
    }

    @Test
    void aCgroupThatCannotBeCreatedFailsTheStartNamingIt() throws Exception {
        Path own = Files.createDirectories(mount.resolve("a"));
        Files.writeString(mount.resolve("cgroup.controllers"), "cpu memory pids\n");
        Files.writeString(own.resolve("cgroup.controllers"), "cpu memory pids\n");
        Cgroups cgroups = Cgroups.detect(mount, List.of("0::/a"), true, "t3");
        Files.writeString(own.resolve("berth/t3.blocked"), "a file where the cgroup should go");
        assertThatThrownBy(() -> cgroups.create("blocked", Resources.none(), "app 'x' instance 'blocked'"))
                .isInstanceOf(BackendException.class).hasMessageContaining("instance 'blocked'")
                .hasMessageContaining("t3.blocked");
    }

    @Test
    void storedCgroupsMustBeAbsoluteAndNormal() {
        assertThatThrownBy(() -> InstanceCgroup.parse("v1|relative/x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("relative/x");
        assertThatThrownBy(() -> InstanceCgroup.parse("v1|/sys/fs/cgroup/../etc")).hasMessageContaining("..");
        assertThatThrownBy(() -> InstanceCgroup.parse("v3|/x")).hasMessageContaining("v3");
    }
}
