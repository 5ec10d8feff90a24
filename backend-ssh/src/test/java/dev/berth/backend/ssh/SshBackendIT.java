package dev.berth.backend.ssh;

import static dev.berth.backend.ssh.Kit.req;
import static dev.berth.backend.ssh.Kit.waiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.api.ExecResult;
import dev.berth.api.ExitInfo;
import dev.berth.spi.NodeStatus;
import dev.berth.spi.RunningInstance;
import dev.berth.api.Source;

/** The SSH backend against three real OpenSSH hosts, each in its own network namespace. */
class SshBackendIT {
    record Exit(String id, String handle, ExitInfo info) {
    }

    private static Kit kit;
    private SshBackend backend;
    private final List<Exit> exits = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void hosts() throws Exception {
        kit = Kit.withHosts(1, 3);
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
        backend.onExit((id, handle, exit) -> exits.add(new Exit(id, handle, exit)));
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

    @Test
    void instancesOnThreeHostsServeHttpAndANewBackendAdoptsThemWithTheSameHandles() throws Exception {
        AppSpec web = Kit.web("web").build();
        List<RunningInstance> started = new ArrayList<>();
        for (NetnsHost h : kit.hosts) {
            started.add(backend.start(req("web-" + h.n, Kit.node(h), web)));
        }
        for (RunningInstance i : started) {
            assertThat(i.endpoint().host()).isEqualTo(kit.netns(i.node()).address);
            assertThat(i.endpoint().port()).isBetween(8000, 9000);
            waiting().ignoreExceptions().until(() -> Kit.get(i).equals("200 hello " + i.instanceId()));
        }
        assertThat(backend.nodes()).extracting(n -> n.id()).containsExactly("h1", "h2", "h3");
        assertThat(backend.nodes().get(0).labels()).containsEntry("n", "1");

        backend.close();
        backend = kit.backend().build();
        backend.onExit((id, handle, exit) -> exits.add(new Exit(id, handle, exit)));
        assertThat(backend.list()).containsExactlyInAnyOrderElementsOf(started);
        // the heartbeat sees them too, per host
        waiting().until(() -> backend.nodeStatus().stream().allMatch(s -> s.reachable() && s.running().size() == 1));
        for (NodeStatus s : backend.nodeStatus()) {
            assertThat(s.running()).extracting(RunningInstance::node).containsOnly(s.node());
        }
        for (RunningInstance i : started) {
            assertThat(Kit.get(i)).isEqualTo("200 hello " + i.instanceId());
            // starting a running id again is a no-op, also from the new backend
            assertThat(backend.start(req(i.instanceId(), i.node(), web))).isEqualTo(i);
        }
        for (RunningInstance i : started) {
            backend.stop(i.instanceId(), Duration.ofSeconds(5));
            assertThat(Kit.processExists(i.handle())).isFalse();
        }
        assertThat(backend.list()).isEmpty();
        assertThatThrownBy(() -> Kit.get(started.get(0))).isInstanceOf(java.io.IOException.class);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(exits::isEmpty);
    }

    @Test
    void aWorkingDirectoryStaysInsideAndAnotherUserIsRefused() throws Exception {
        AppSpec app = Kit.sleeper("wd").workingDir("data/www").build();
        backend.start(req("wd-1", "h1", app));
        String inside = kit.netns("h1").baseDir.resolve("instances/wd-1/work/data/www").toString();
        assertThat(backend.console().exec("wd-1", List.of("pwd"), Duration.ofSeconds(10)).output().trim()).isEqualTo(inside);
        assertThat(backend.console().describe("wd-1")).containsEntry("working.dir", inside);
        assertThatThrownBy(() -> backend.start(req("wd-2", "h1", app.toBuilder().user("nobody").build())))
                .isInstanceOf(BackendException.class)
                .hasMessageContaining("user 'nobody' is not supported by the SSH backend");
    }

    @Test
    void randomPortsOnOneHostAreDistinctAndFree() throws Exception {
        AppSpec web = Kit.web("ports").build();
        List<RunningInstance> started = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            started.add(backend.start(req("ports-" + i, "h1", web)));
        }
        assertThat(started).extracting(i -> i.endpoint().port()).doesNotHaveDuplicates();
        for (RunningInstance i : started) {
            waiting().ignoreExceptions().until(() -> Kit.get(i).equals("200 hello " + i.instanceId()));
        }
    }

    @Test
    void aReleaseIsCopiedOncePerHostAndItsSetupRunsOnce() throws Exception {
        Path src = Files.createTempDirectory(kit.root, "src");
        Files.writeString(src.resolve("index.html"), "release one\n");
        Files.createDirectories(src.resolve("sub dir"));
        Files.writeString(src.resolve("sub dir/it's here.txt"), "odd name\n");
        AppSpec app = AppSpec.builder("site").source(Source.directory(src))
                .setup("sh", "-c", "echo ran >> setup-ran.txt; echo setting up; echo \"env $BERTH_APP $BERTH_RELEASE\"")
                // a sh wrapper reads the port from the env; the release dir is the work dir
                .command("sh", "-c", "exec busybox httpd -f -p \"$PORT\" -h .")
                .env("PORT", AppSpec.RANDOM_PORT).build();

        List<String> build = new CopyOnWriteArrayList<>();
        backend.onBuildOutput((name, release, node, line) -> build.add(name + "/" + release + "@" + node + ": " + line));
        RunningInstance a = backend.start(req("site-1", "h1", app));
        RunningInstance b = backend.start(req("site-2", "h1", app));
        RunningInstance c = backend.start(req("site-3", "h2", app));
        assertThat(backend.copies()).isEqualTo(2);
        assertThat(backend.setups()).isEqualTo(2);
        // each host's setup output was told, once
        assertThat(build).containsExactlyInAnyOrder("site/r1@h1: setting up", "site/r1@h1: env site r1",
                "site/r1@h2: setting up", "site/r1@h2: env site r1");

        // the instance-control API: what runs, and with which environment, read on the host
        Map<String, String> env = backend.console().environment("site-1");
        assertThat(env).containsEntry("BERTH_INSTANCE_ID", "site-1").containsEntry("PORT",
                Integer.toString(a.endpoint().port()));
        Map<String, String> info = backend.console().describe("site-1");
        assertThat(info).containsEntry("backend", "ssh").containsEntry("pid", a.handle().replaceAll("[^0-9].*", ""))
                .containsEntry("node", "h1").containsEntry("release", "r1").containsEntry("user", "root")
                .containsEntry("working.dir", kit.netns("h1").baseDir.resolve("releases/site/r1").toString());
        for (RunningInstance i : List.of(a, b, c)) {
            waiting().ignoreExceptions().until(() -> Kit.get(i).equals("200 release one"));
        }
        Path rel1 = kit.netns("h1").baseDir.resolve("releases/site/r1");
        assertThat(Files.readString(rel1.resolve("setup-ran.txt"))).isEqualTo("ran\n");
        assertThat(Files.readString(rel1.resolve("sub dir/it's here.txt"))).isEqualTo("odd name\n");
        assertThat(Files.readString(rel1.resolve("setup.log"))).contains("setting up").contains("env site r1");
        assertThat(Files.exists(kit.netns("h2").baseDir.resolve("releases/site/r1/setup-ran.txt"))).isTrue();
        assertThat(Files.exists(kit.netns("h3").baseDir.resolve("releases/site"))).isFalse();
        // no temp dir is left beside the release
        try (var s = Files.list(rel1.getParent())) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("r1");
        }

        // another backend (a restarted platform) neither copies nor sets up again
        backend.stop("site-2", Duration.ofSeconds(5));
        try (SshBackend other = kit.backend().heartbeat(Duration.ZERO).build()) {
            other.start(req("site-2", "h1", app));
            assertThat(other.copies()).isZero();
            assertThat(other.setups()).isZero();
        }
        assertThat(Files.readString(rel1.resolve("setup-ran.txt"))).isEqualTo("ran\n");
    }

    @Test
    void aFailedSetupFailsTheStartWithItsLastLinesAndRunsAgainNextTime() throws Exception {
        AppSpec app = Kit.sleeper("broken").setup("sh", "-c", "echo first line; echo 'it broke' >&2; exit 3").build();
        assertThatThrownBy(() -> backend.start(req("broken-1", "h1", app))).isInstanceOf(BackendException.class)
                .hasMessageContaining("setup of app 'broken' release 'r1' on host 'h1'")
                .hasMessageContaining("exited with 3").hasMessageContaining("it broke").hasMessageContaining("first line");
        assertThatThrownBy(() -> backend.start(req("broken-1", "h1", app))).isInstanceOf(BackendException.class)
                .hasMessageContaining("exited with 3");
        assertThat(backend.setups()).isZero();
        assertThat(backend.list()).isEmpty();
    }

    @Test
    void gitAndImageSourcesAndUnknownNodesAreRefused() {
        AppSpec git = Kit.sleeper("g").source(Source.git("repo", "0123456789abcdef")).build();
        assertThatThrownBy(() -> backend.start(req("g-1", "h1", git))).isInstanceOf(BackendException.class)
                .hasMessageContaining("app 'g' instance 'g-1'").hasMessageContaining("cannot run a git source");
        AppSpec image = AppSpec.builder("i").source(Source.image("busybox:1")).build();
        assertThatThrownBy(() -> backend.start(req("i-1", "h1", image))).isInstanceOf(BackendException.class)
                .hasMessageContaining("container image");
        assertThatThrownBy(() -> backend.start(req("x-1", "h9", Kit.sleeper("x").build())))
                .isInstanceOf(BackendException.class).hasMessageContaining("unknown node 'h9'")
                .hasMessageContaining("[h1, h2, h3]");
        assertThatThrownBy(() -> backend.start(req("../x", "h1", Kit.sleeper("x").build())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("instance id '../x'");
    }

    @Test
    void execRunsHostileArgumentsLiterallyInTheInstanceDirAndEnv() throws Exception {
        backend.start(req("ex-1", "h2", Kit.sleeper("ex").env("GREETING", "it's a \"test\" $(no)").build()));
        Path pwned = Path.of("/tmp/pwned");
        Files.deleteIfExists(pwned);
        List<String> hostile = List.of("two words", "it's", "a;b", "$(touch /tmp/pwned)", "`touch /tmp/pwned`",
                "; touch /tmp/pwned", "", "line\nbreak", "ünï ✓", "$HOME", "*");
        List<String> argv = new ArrayList<>(List.of("printf", "%s\\0"));
        argv.addAll(hostile);
        ExecResult r = backend.console().exec("ex-1", argv, Duration.ofSeconds(10));
        assertThat(r.exitCode()).isZero();
        assertThat(r.output()).endsWith("\0");
        assertThat(Arrays.asList(r.output().substring(0, r.output().length() - 1).split("\0", -1)))
                .containsExactlyElementsOf(hostile);
        assertThat(pwned).doesNotExist();

        ExecResult env = backend.console().exec("ex-1", List.of("sh", "-c",
                "echo \"$PWD|$BERTH_INSTANCE_ID|$BERTH_NODE|$GREETING\""), Duration.ofSeconds(10));
        assertThat(env.output().trim()).isEqualTo(kit.netns("h2").baseDir + "/instances/ex-1/work|ex-1|h2|it's a \"test\" $(no)");
        assertThat(backend.console().exec("ex-1", List.of("sh", "-c", "echo out; echo err >&2; exit 7"),
                Duration.ofSeconds(10))).isEqualTo(new ExecResult(7, "out\nerr\n"));
        long t0 = System.nanoTime();
        ExecResult slow = backend.console().exec("ex-1", List.of("sleep", "30"), Duration.ofSeconds(1));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        assertThat(slow.exitCode()).isEqualTo(124);
        assertThat(slow.output()).contains("killed after the timeout");
        assertThatThrownBy(() -> backend.console().exec("nope", List.of("true"), Duration.ofSeconds(5)))
                .isInstanceOf(BackendException.class).hasMessageContaining("unknown instance 'nope'");
    }

    @Test
    void logsAndFollow() throws Exception {
        backend.start(req("talk-1", "h3", Kit.sh("talk", "i=0; while :; do echo \"line $i\"; i=$((i+1)); sleep 0.05; done")
                .build()));
        waiting().until(() -> backend.console().logs("talk-1", 5).size() == 5);
        List<String> five = backend.console().logs("talk-1", 5);
        assertThat(five).allMatch(l -> l.matches("line [0-9]+"));
        assertThat(backend.console().logs("talk-1", 0)).isEmpty();

        List<String> followed = new CopyOnWriteArrayList<>();
        AutoCloseable f = backend.console().follow("talk-1", followed::add);
        waiting().until(() -> followed.size() >= 10);
        int a = Integer.parseInt(followed.get(0).substring(5));
        for (int k = 0; k < 10; k++) {
            assertThat(followed.get(k)).isEqualTo("line " + (a + k));
        }
        f.close();
        String log = kit.netns("h3").baseDir + "/instances/talk-1/output.log";
        // the remote tail ends with the channel
        waiting().until(() -> Kit.pidsWithCmdline("tail", log).isEmpty());
        int n = followed.size();
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> followed.size() == n);
        assertThatThrownBy(() -> backend.console().logs("never-was", 5)).isInstanceOf(BackendException.class)
                .hasMessageContaining("unknown instance 'never-was'");
    }

    @Test
    void outputAboveTheLimitIsRotatedAndLogsReadAcrossTheRotation() throws Exception {
        try (SshBackend small = kit.backend().heartbeat(Duration.ZERO).logMaxBytes(1024).build()) {
            small.start(req("chatty-1", "h2", Kit.sh("chatty", "i=0; while [ $i -lt 200 ]; do echo \"chatty line $i\"; "
                    + "i=$((i+1)); done; exec sleep 600").build()));
            Path log = kit.netns("h2").baseDir.resolve("instances/chatty-1/output.log");
            waiting().until(() -> Files.size(log) > 2048 && backend.console().logs("chatty-1", 1).equals(
                    List.of("chatty line 199")));
            small.rotateLogs();
            assertThat(Files.size(log)).isZero();
            assertThat(Files.readString(log.resolveSibling("output.log.1"))).endsWith("chatty line 199\n");
            assertThat(small.console().logs("chatty-1", 3)).containsExactly("chatty line 197", "chatty line 198",
                    "chatty line 199");
        }
    }


    @Test
    void exitsOnTheirOwnAreReportedOnceWithTheirCode() throws Exception {
        RunningInstance quick = backend.start(req("q-1", "h2", Kit.sh("q", "sleep 0.5; exit 3").build()));
        RunningInstance victim = backend.start(req("v-1", "h3", Kit.sleeper("v").build()));
        NetnsHost.sh("kill", "-9", victim.handle().substring(0, victim.handle().indexOf(':')));
        waiting().until(() -> exits.size() == 2);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> exits.size() == 2);
        Exit q = exits.stream().filter(x -> x.id().equals("q-1")).findFirst().orElseThrow();
        assertThat(q.handle()).isEqualTo(quick.handle());
        assertThat(q.info().code()).isEqualTo(3);
        assertThat(q.info().reason()).isEqualTo("exited with 3");
        Exit v = exits.stream().filter(x -> x.id().equals("v-1")).findFirst().orElseThrow();
        assertThat(v.handle()).isEqualTo(victim.handle());
        assertThat(v.info().code()).isEqualTo(137);
        // the same id starts again as a new process
        RunningInstance again = backend.start(req("q-1", "h2", Kit.sleeper("q").build()));
        assertThat(again.handle()).isNotEqualTo(quick.handle());
    }

    @Test
    void stopSendsTermToTheWholeSessionThenKillAfterTheGrace() throws Exception {
        RunningInstance stubborn = backend.start(req("s-1", "h1",
                Kit.sh("stubborn", "trap '' TERM; sleep 600 & while :; do sleep 0.1; done").build()));
        RunningInstance polite = backend.start(req("s-2", "h1", Kit.sh("polite", "sleep 600 & wait").build()));
        waiting().until(() -> Kit.sessionOf(stubborn.handle()).size() >= 2 && Kit.sessionOf(polite.handle()).size() >= 2);
        List<Long> stubbornProcs = Kit.sessionOf(stubborn.handle());
        List<Long> politeProcs = Kit.sessionOf(polite.handle());

        long t0 = System.nanoTime();
        backend.stop("s-2", Duration.ofSeconds(10));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(politeProcs).noneMatch(Kit::alive);

        t0 = System.nanoTime();
        backend.stop("s-1", Duration.ofSeconds(1));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(900)).isLessThan(Duration.ofSeconds(10));
        assertThat(stubbornProcs).noneMatch(Kit::alive);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(exits::isEmpty);
        assertThat(backend.list()).isEmpty();
    }

    @Test
    void diskUsagePerHostCountsReleasesAndInstanceDirs() throws Exception {
        Path src = Files.createTempDirectory(kit.root, "big");
        Files.write(src.resolve("blob"), new byte[300 * 1024]);
        AppSpec app = Kit.sleeper("disk").source(Source.directory(src)).build();
        backend.start(req("disk-1", "h1", app));
        backend.start(req("disk-2", "h2", app));
        var usage = backend.diskUsage("disk");
        assertThat(usage).containsOnlyKeys("h1", "h2", "h3");
        assertThat(usage.get("h1")).isGreaterThanOrEqualTo(300 * 1024L);
        assertThat(usage.get("h2")).isGreaterThanOrEqualTo(300 * 1024L);
        assertThat(usage.get("h3")).isZero();
        assertThat(backend.diskUsage("other").values()).containsOnly(0L);
    }

    @Test
    void theHeartbeatReportsEveryHostAndOneSessionPerHostCarriesTheCommands() throws Exception {
        waiting().until(() -> backend.nodeStatus().stream().allMatch(NodeStatus::reachable));
        List<NodeStatus> statuses = backend.checkHosts();
        assertThat(statuses).extracting(NodeStatus::node).containsExactly("h1", "h2", "h3");
        assertThat(statuses).allMatch(NodeStatus::reachable);
        for (int i = 0; i < 5; i++) {
            backend.start(req("many-" + i, "h1", Kit.sleeper("many").build()));
        }
        backend.checkHosts();
        assertThat(backend.connects("h1")).isEqualTo(1);
        assertThat(new String(Files.readAllBytes(kit.netns("h1").baseDir.resolve("instances/many-0/env.sh")),
                StandardCharsets.UTF_8)).contains("BERTH_INSTANCE_ID=many-0");
        assertThat(Files.getPosixFilePermissions(kit.netns("h1").baseDir.resolve("instances/many-0/env.sh")))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void theCommandGetsItsDollarBraceArgumentsExpandedFromTheInstanceEnvEachWhole() throws Exception {
        // the values travel as arguments of the host's launch script: quoted, never run by a shell
        AppSpec app = AppSpec.builder("argv").command("sh", "-c", "echo \"[$1][$2][$3][$4]\"; exec sleep 300", "argv",
                        "${PORT}", "${BERTH_INSTANCE_ID}@${BERTH_NODE}", "${GREETING}", "$${HOME}")
                .env("PORT", AppSpec.RANDOM_PORT).env("GREETING", "a b; $(touch pwned) `id`").build();
        RunningInstance i = backend.start(req("argv-1", "h3", app));

        waiting().until(() -> backend.console().logs("argv-1", 5), lines -> !lines.isEmpty());
        assertThat(backend.console().logs("argv-1", 5))
                .containsExactly("[" + i.endpoint().port() + "][argv-1@h3][a b; $(touch pwned) `id`][${HOME}]");
        assertThat(kit.netns("h3").baseDir.resolve("instances/argv-1/work/pwned")).doesNotExist();
        assertThat(kit.netns("h3").baseDir.resolve("instances/argv-1/pwned")).doesNotExist();
    }
}
