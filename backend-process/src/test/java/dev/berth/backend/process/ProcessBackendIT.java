package dev.berth.backend.process;

import static dev.berth.backend.process.Kit.alive;
import static dev.berth.backend.process.Kit.beats;
import static dev.berth.backend.process.Kit.req;
import static dev.berth.backend.process.Kit.sh;
import static dev.berth.backend.process.Kit.waiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.api.ExecResult;
import dev.berth.api.ExitInfo;
import dev.berth.api.NotFoundException;
import dev.berth.spi.RunningInstance;
import dev.berth.api.Source;

/** The process backend against real processes. */
class ProcessBackendIT {
    private static final String LONG = "sleep 300";

    @TempDir
    Path base;
    ProcessBackend backend;
    final Kit.Exits exits = new Kit.Exits();

    @BeforeEach
    void open() {
        backend = Kit.builder(base).build();
        backend.onExit(exits);
    }

    @AfterEach
    void cleanUp() {
        backend.close();
        Kit.stopAll(base);
    }

    @Test
    void startListStop() throws Exception {
        RunningInstance started = backend.start(req("web-1", sh("web", LONG).build()));
        assertThat(alive(started.handle())).isTrue();
        long pid = Long.parseLong(started.handle());
        // detached: its own session, stdin from /dev/null, stdout and stderr into output.log, no pipe to us
        // not a child of this JVM: its wrapper leads the session and records its exit
        long wrapper = ProcessHandle.of(pid).flatMap(ProcessHandle::parent).orElseThrow().pid();
        assertThat(ProcessHandle.of(wrapper).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
                .isNotEqualTo(java.util.Optional.of(ProcessHandle.current().pid()));
        assertThat(Procs.session(wrapper, OptionalLong.empty())).extracting(ProcessHandle::pid).contains(pid, wrapper);
        Path fds = Path.of("/proc", started.handle(), "fd");
        Path output = base.resolve("node1/web/instances/web-1/output.log").toRealPath();
        assertThat(Files.readSymbolicLink(fds.resolve("0")).toString()).isEqualTo("/dev/null");
        assertThat(Files.readSymbolicLink(fds.resolve("1"))).isEqualTo(output);
        assertThat(Files.readSymbolicLink(fds.resolve("2"))).isEqualTo(output);
        assertThat(started).extracting(RunningInstance::app, RunningInstance::release, RunningInstance::node)
                .containsExactly("web", "r1", "node1");
        assertThat(backend.list()).extracting(RunningInstance::instanceId, RunningInstance::handle)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("web-1", started.handle()));

        backend.stop("web-1", Duration.ofSeconds(5));

        assertThat(alive(started.handle())).isFalse();
        assertThat(backend.list()).isEmpty();
        assertThat(base.resolve("node1/web/instances/web-1/" + InstanceFile.NAME)).doesNotExist();
        assertThat(base.resolve("node1/web/instances/web-1/" + InstanceFile.EXITED)).exists();
    }

    @Test
    void runsInItsWorkingDirectoryAsItsUserAndTellsItsEnvironment() throws Exception {
        // nobody must be able to reach the release: open the test's base directory to others
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path code = Files.createDirectories(base.resolve("code/bin"));
        Files.writeString(code.resolve("marker"), "here\n");
        List<String> build = new CopyOnWriteArrayList<>();
        backend.onBuildOutput((app, release, node, line) -> build.add(app + "/" + release + "@" + node + ": " + line));
        AppSpec spec = AppSpec.builder("web").source(Source.directory(base.resolve("code")))
                .setup("/bin/sh", "-c", "echo compiling; echo done")
                .command("/bin/sh", "-c", "echo \"$(id -u):$(id -g) $(pwd) $(cat marker)\"; exec sleep 300")
                .env("GREETING", "hello there").workingDir("bin").user("nobody").build();

        RunningInstance started = backend.start(req("web-1", spec));

        Path bin = base.resolve("node1/web/releases/r1/bin");
        waiting().until(() -> backend.console().logs("web-1", 5), lines -> !lines.isEmpty());
        String nobody = Files.readAllLines(Path.of("/etc/passwd")).stream().filter(l -> l.startsWith("nobody:"))
                .map(l -> l.split(":")[2] + ":" + l.split(":")[3]).findFirst().orElseThrow();
        assertThat(backend.console().logs("web-1", 5)).containsExactly(nobody + " " + bin + " here");
        assertThat(build).containsExactly("web/r1@node1: compiling", "web/r1@node1: done");
        assertThat(backend.console().environment("web-1")).containsEntry("GREETING", "hello there")
                .containsEntry("BERTH_INSTANCE_ID", "web-1");
        assertThat(backend.console().describe("web-1")).containsEntry("pid", started.handle())
                .containsEntry("user", nobody).containsEntry("working.dir", bin.toString());
        assertThat(backend.console().exec("web-1", List.of("id", "-u"), Duration.ofSeconds(10)).output().trim())
                .isEqualTo(nobody.split(":")[0]);

        // without code, another user gets a directory of its own; the instance directory (pid file,
        // output log) stays the platform's, so the app cannot swap what the platform trusts
        backend.start(req("plain-1", Kit.sh("plain", "pwd; touch here; touch ../../there; exec sleep 300")
                .user("nobody").workingDir("data").build()));
        Path instance = base.resolve("node1/plain/instances/plain-1");
        waiting().until(() -> backend.console().logs("plain-1", 5), lines -> lines.size() >= 2);
        assertThat(backend.console().logs("plain-1", 5)).startsWith(instance.resolve("work/data").toString())
                .anyMatch(l -> l.contains("../../there") && l.contains("Permission denied"));
        assertThat(Files.getOwner(instance).getName()).isEqualTo("root");
        assertThat(Files.getOwner(instance.resolve("work/data/here")).getName()).isEqualTo("nobody");
        assertThat(instance.resolve("there")).doesNotExist();

        assertThatThrownBy(() -> backend.start(req("web-2", spec.toBuilder().user("no-such-user").build())))
                .isInstanceOf(BackendException.class).hasMessageContaining("user 'no-such-user' does not exist");
        assertThatThrownBy(() -> backend.start(req("web-3", spec.toBuilder().workingDir("missing").build())))
                .isInstanceOf(BackendException.class).hasMessageContaining("workingDir 'missing' is not a directory");
        assertThatThrownBy(() -> backend.console().environment("web-4")).isInstanceOf(NotFoundException.class);
    }


    @Test
    void stopAndKillOfUnknownOrFinishedIdsSucceed() {
        backend.stop("never-started", Duration.ofSeconds(1));
        backend.kill("never-started");
        RunningInstance done = backend.start(req("quick", sh("web", "exit 0").build()));
        waiting().until(() -> !alive(done.handle()));
        backend.stop("quick", Duration.ofSeconds(1));
        backend.stop("quick", Duration.ofSeconds(1));
    }

    @Test
    void exitCodeIsReported() {
        RunningInstance crash = backend.start(req("crash", sh("web", "echo going; exit 3").build()));
        waiting().until(() -> !exits.of("crash").isEmpty());
        assertThat(exits.of("crash").get(0).handle()).isEqualTo(crash.handle());
        ExitInfo exit = exits.of("crash").get(0).info();
        assertThat(exit.code()).isEqualTo(3);
        assertThat(exit.reason()).isEqualTo("exited with 3");
        assertThat(backend.list()).isEmpty();
        assertThat(backend.console().logs("crash", 10)).containsExactly("going");
    }


    @Test
    void stopIsNotReported() {
        backend.start(req("s", sh("web", LONG).build()));
        backend.stop("s", Duration.ofSeconds(5));
        // a marker instance that exits on its own proves reports are flowing
        backend.start(req("marker", sh("web", "exit 7").build()));
        waiting().until(() -> !exits.of("marker").isEmpty());
        assertThat(exits.of("s")).isEmpty();
    }

    @Test
    void stopKillsTheWholeTree() {
        RunningInstance i = backend.start(req("tree", sh("web", "sleep 300 & echo child=$!; wait").build()));
        waiting().until(() -> backend.console().logs("tree", 1).stream().anyMatch(l -> l.startsWith("child=")));
        long child = Long.parseLong(backend.console().logs("tree", 1).get(0).substring("child=".length()));
        assertThat(alive(child)).isTrue();
        assertThat(ProcessHandle.of(child).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
                .contains(Long.parseLong(i.handle()));

        backend.stop("tree", Duration.ofSeconds(5));

        assertThat(alive(i.handle())).isFalse();
        assertThat(alive(child)).isFalse();
    }

    @Test
    void aProcessIgnoringSigtermIsKilledAfterTheGrace() {
        String script = "trap '' TERM; echo ready; i=0; while [ $i -lt 3000 ]; do sleep 0.1; i=$((i+1)); done";
        RunningInstance i = backend.start(req("stubborn", sh("web", script).build()));
        waiting().until(() -> backend.console().logs("stubborn", 1).contains("ready"));
        long t0 = System.nanoTime();
        backend.stop("stubborn", Duration.ofMillis(700));
        long tookMillis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(tookMillis).isGreaterThanOrEqualTo(650);
        assertThat(alive(i.handle())).isFalse();
        assertThat(exits.of("stubborn")).isEmpty();
    }

    @Test
    void logsTailAndFollow() throws Exception {
        backend.start(req("beat", sh("web", beats(600)).build()));
        List<String> followed = new CopyOnWriteArrayList<>();
        try (AutoCloseable f = backend.console().follow("beat", followed::add)) {
            waiting().until(() -> followed.size() >= 5);
        }
        assertThat(followed).allMatch(l -> l.matches("beat \\d+"));
        List<Integer> numbers = followed.stream().map(l -> Integer.valueOf(l.substring(5))).toList();
        for (int k = 1; k < numbers.size(); k++) {
            assertThat(numbers.get(k)).isEqualTo(numbers.get(k - 1) + 1);
        }
        int seen = followed.size();
        waiting().until(() -> backend.console().logs("beat", 3).size() == 3
                && Integer.parseInt(backend.console().logs("beat", 1).get(0).substring(5)) > numbers.get(numbers.size() - 1) + 3);
        assertThat(followed).hasSize(seen); // closed: nothing more arrives
        assertThat(backend.console().logs("beat", 3)).allMatch(l -> l.matches("beat \\d+"));
    }

    @Test
    void execRunsInTheInstanceDirWithItsEnv() throws Exception {
        backend.start(req("ex", sh("web", LONG).env("GREETING", "hello there").build()));
        ExecResult r = backend.console().exec("ex",
                List.of("/bin/sh", "-c", "pwd; echo $BERTH_INSTANCE_ID; echo \"$GREETING\"; echo oops >&2; exit 4"),
                Duration.ofSeconds(10));
        assertThat(r.exitCode()).isEqualTo(4);
        assertThat(r.output().lines().toList()).containsExactly(
                base.resolve("node1/web/instances/ex/work").toRealPath().toString(), "ex", "hello there", "oops"); // no code: work/, never the dir of Berth's files

        long t0 = System.nanoTime();
        ExecResult slow = backend.console().exec("ex", List.of("sleep", "30"), Duration.ofMillis(500));
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(10_000);
        assertThat(slow.exitCode()).isNotZero();
        assertThat(slow.output()).contains("killed after the timeout");
    }

    @Test
    void directorySourceIsCopiedOnceAndInstancesRunInTheRelease() throws Exception {
        Path src = Files.createDirectories(base.resolve("src-code"));
        Files.writeString(src.resolve("hello.txt"), "from source\n");
        AppSpec spec = sh("web", "cat hello.txt; pwd; " + LONG).source(Source.directory(src)).build();
        backend.start(req("d1", spec));
        Path release = base.resolve("node1/web/releases/r1");
        waiting().until(() -> backend.console().logs("d1", 2).size() == 2);
        assertThat(backend.console().logs("d1", 2)).containsExactly("from source", release.toRealPath().toString());
        Files.writeString(src.resolve("hello.txt"), "changed\n");
        backend.start(req("d2", spec));
        waiting().until(() -> backend.console().logs("d2", 2).size() == 2);
        assertThat(backend.console().logs("d2", 2).get(0)).isEqualTo("from source");
    }


    @Test
    void failingSetupFailsTheStartWithItsOutput() {
        AppSpec spec = sh("web", LONG).setup("/bin/sh", "-c",
                "i=0; while [ $i -lt 30 ]; do echo noise $i; i=$((i+1)); done; echo 'npm ERR! missing thing' >&2; exit 2")
                .build();
        assertThatThrownBy(() -> backend.start(req("f1", spec))).isInstanceOf(BackendException.class)
                .hasMessageContaining("app 'web'").hasMessageContaining("release 'r1'")
                .hasMessageContaining("exited with 2").hasMessageContaining("npm ERR! missing thing")
                .hasMessageContaining("noise 29").hasMessageNotContaining("noise 5\n");
        assertThat(backend.list()).isEmpty();
        assertThat(base.resolve("node1/web/instances/f1/" + LogFiles.OUTPUT)).doesNotExist();
    }

    @Test
    void setupThatOverrunsItsTimeoutIsKilledAndFailsTheStart() {
        try (ProcessBackend quick = Kit.builder(base).setupTimeout(Duration.ofSeconds(1)).build()) {
            AppSpec spec = sh("web", LONG).setup("/bin/sh", "-c", "echo compiling; sleep 30").build();
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> quick.start(req("t1", spec))).isInstanceOf(BackendException.class)
                    .hasMessageContaining("timed out after PT1S").hasMessageContaining("compiling");
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(15_000);
            assertThat(quick.list()).isEmpty();
        }
    }

    @Test
    void randomPortsAreDistinctInRangeAndMakeTheEndpoint() throws Exception {
        ProcessBackend ranged = Kit.builder(base).portRange(20100, 20119).build();
        try {
            AppSpec spec = sh("web", "echo port=$PORT admin=$ADMIN; " + LONG).env("PORT", AppSpec.RANDOM_PORT)
                    .env("ADMIN", AppSpec.RANDOM_PORT).build();
            List<Integer> ports = new ArrayList<>();
            for (String id : List.of("p1", "p2", "p3")) {
                RunningInstance i = ranged.start(req(id, spec));
                assertThat(i.endpoint()).isNotNull();
                assertThat(i.endpoint().host()).isEqualTo("127.0.0.1");
                ports.add(i.endpoint().port());
                ExecResult env = ranged.console().exec(id, List.of("/bin/sh", "-c", "echo $PORT $ADMIN"), Duration.ofSeconds(5));
                String[] both = env.output().trim().split(" ");
                assertThat(Integer.parseInt(both[0])).isEqualTo(i.endpoint().port());
                ports.add(Integer.parseInt(both[1]));
            }
            assertThat(ports).doesNotHaveDuplicates().allMatch(p -> p >= 20100 && p <= 20119);
            AppSpec fixed = sh("web", LONG).env("PORT", "20555").build();
            assertThat(ranged.start(req("fixed", fixed)).endpoint()).isEqualTo(new dev.berth.api.Endpoint("127.0.0.1", 20555));
            assertThat(ranged.start(req("noport", sh("web", LONG).build())).endpoint()).isNull();
        } finally {
            ranged.close();
        }
    }

    @Test
    void aSecondBackendAdoptsAndReportsAnExternalKill() {
        RunningInstance i = backend.start(req("adopt-me", sh("web", "sleep 300 & echo child=$!; wait").build()));
        waiting().until(() -> backend.console().logs("adopt-me", 1).stream().anyMatch(l -> l.startsWith("child=")));
        long child = Long.parseLong(backend.console().logs("adopt-me", 1).get(0).substring("child=".length()));
        Kit.Exits secondExits = new Kit.Exits();
        try (ProcessBackend second = Kit.builder(base).build()) {
            second.onExit(secondExits);
            assertThat(second.list()).extracting(RunningInstance::instanceId, RunningInstance::handle)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("adopt-me", i.handle()));
            assertThat(second.start(req("adopt-me", sh("web", LONG).build())).handle()).isEqualTo(i.handle());

            ProcessHandle.of(Long.parseLong(i.handle())).orElseThrow().destroyForcibly();

            waiting().until(() -> !secondExits.of("adopt-me").isEmpty());
            // the wrapper recorded the status: an adopter reports it as well as the launcher
            assertThat(secondExits.of("adopt-me").get(0).info().code()).isEqualTo(137);
            assertThat(second.list()).isEmpty();
            // what the crashed root left in its session is cleaned up
            waiting().until(() -> !alive(child));
        }
        waiting().until(() -> !exits.of("adopt-me").isEmpty());
        assertThat(exits.of("adopt-me").get(0).info().code()).isEqualTo(137);
    }

    @Test
    void rotationKeepsAtMostLogFilesEachAroundTheCap() throws Exception {
        ProcessBackend rotating = Kit.builder(base).logMaxBytes(1024).logFiles(3).build();
        try {
            String script = "i=0; while [ $i -lt 1500 ]; do echo \"line $i of forty bytes or so .........\"; i=$((i+1)); "
                    + "sleep 0.02; done";
            rotating.start(req("rot", sh("web", script).build()));
            Path dir = base.resolve("node1/web/instances/rot");
            Path out = dir.resolve(LogFiles.OUTPUT);
            // (a rotation renames the files: one may be missing for an instant, so reads are retried)
            waiting().ignoreExceptions().until(() -> Files.exists(LogFiles.rotated(out, 2)) && Files.size(out) > 0);
            // let at least one more rotation happen (each rotated file starts with a marker line when the
            // file had outgrown its cap: compare last lines)
            String[] lastOfSecond = new String[1];
            waiting().ignoreExceptions().until(() -> (lastOfSecond[0] = lastLine(LogFiles.rotated(out, 2))) != null);
            waiting().ignoreExceptions().until(() -> !lastLine(LogFiles.rotated(out, 2)).equals(lastOfSecond[0]));
            waiting().ignoreExceptions().untilAsserted(() -> {
                try (Stream<Path> files = Files.list(dir)) {
                    assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("output.log")))
                            .containsExactlyInAnyOrder("output.log", "output.log.1", "output.log.2");
                }
                for (Path p : List.of(LogFiles.rotated(out, 1), LogFiles.rotated(out, 2))) {
                    assertThat(Files.size(p)).isGreaterThan(512).isLessThanOrEqualTo(1024);
                }
            });
            // the rotated files hold about 25 lines each, behind a marker line where older output was dropped
            List<String> tail = rotating.console().logs("rot", 40);
            assertThat(tail).hasSize(40).allMatch(l -> l.startsWith("line ") || l.startsWith("[berth: earlier output"));
        } finally {
            rotating.close();
        }
    }

    private static String lastLine(Path file) throws java.io.IOException {
        List<String> lines = Files.readAllLines(file);
        return lines.get(lines.size() - 1);
    }
}
