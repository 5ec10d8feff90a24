package dev.berth.backend.docker;

import static dev.berth.backend.docker.Kit.docker;
import static dev.berth.backend.docker.Kit.req;
import static dev.berth.backend.docker.Kit.waiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
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
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.spi.RunningInstance;

/** The Docker backend against a real dockerd; containers publish on 127.0.0.1 only. */
class DockerBackendIT {
    record Exit(String id, String handle, ExitInfo info) {
    }

    private String node;
    private DockerBackend backend;
    private final List<Exit> exits = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void image() throws Exception {
        Kit.ensureDockerAndImage();
    }

    @AfterAll
    static void removeImages() throws Exception {
        Kit.removeTestImages();
    }

    @BeforeEach
    void setUp() {
        node = Kit.node();
        backend = Kit.builder(node).build();
        backend.onExit((id, handle, exit) -> exits.add(new Exit(id, handle, exit)));
    }

    @AfterEach
    void tearDown() throws Exception {
        backend.close();
        Kit.removeTestContainers();
    }

    private String get(RunningInstance i) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + i.endpoint() + "/"))
                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body().trim();
    }

    @Test
    void workingDirectoryUserEnvironmentAndDescription() {
        AppSpec spec = Kit.sh("inspected", "echo \"$(id -u):$(id -g) $(pwd)\"; exec sleep 300")
                .env("GREETING", "hello there").env("PORT", AppSpec.RANDOM_PORT)
                .resources(Resources.of(Map.of(Resources.MEMORY_MB, 64.0)))
                .workingDir("/tmp").user("65534:65534").build();
        RunningInstance i = backend.start(req("inspected-1", node, spec));

        waiting().until(() -> backend.console().logs("inspected-1", 5), lines -> !lines.isEmpty());
        assertThat(backend.console().logs("inspected-1", 5)).containsExactly("65534:65534 /tmp");
        Map<String, String> env = backend.console().environment("inspected-1");
        assertThat(env).containsEntry("GREETING", "hello there").containsEntry("BERTH_INSTANCE_ID", "inspected-1")
                .containsKey("PORT");
        Map<String, String> info = backend.console().describe("inspected-1");
        assertThat(info).containsEntry("container.id", i.handle()).containsEntry("container.name", "berth-inspected-1")
                .containsEntry("image", Kit.IMAGE).containsEntry("status", "running")
                .containsEntry("memory.limit.bytes", Long.toString(64L * 1024 * 1024))
                .containsEntry("working.dir", "/tmp").containsEntry("user", "65534:65534")
                .containsEntry("endpoint", i.endpoint().toString());
        assertThat(backend.console().exec("inspected-1", List.of("id", "-u"), Duration.ofSeconds(10)).output().trim())
                .isEqualTo("65534");

        backend.stop("inspected-1", Duration.ofSeconds(5));
        assertThatThrownBy(() -> backend.console().environment("inspected-1"))
                .isInstanceOf(dev.berth.api.NotFoundException.class).hasMessageContaining("no running container");
    }

    @Test
    void threeInstancesAreReachedThroughTheirLoopbackPorts() throws Exception {
        AppSpec web = Kit.web("web").build();
        List<RunningInstance> started = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            started.add(backend.start(req("web-" + i, node, web)));
        }
        for (RunningInstance i : started) {
            assertThat(i.endpoint()).isNotNull();
            assertThat(i.endpoint().host()).isEqualTo("127.0.0.1");
            assertThat(i.handle()).hasSize(64);
            waiting().ignoreExceptions().until(() -> get(i).equals("200 hello " + i.instanceId()));
        }
        assertThat(started).extracting(i -> i.endpoint().port()).doesNotHaveDuplicates();
        String name = docker("inspect", "--format", "{{.Name}} {{index .Config.Labels \"dev.berth.app\"}} "
                + "{{index .Config.Labels \"dev.berth.instance\"}} {{index .Config.Labels \"dev.berth.release\"}} "
                + "{{.HostConfig.RestartPolicy.Name}}", started.get(0).handle()).out();
        // Docker's restart policy is "no" (the API's empty name means no): Berth restarts instances
        assertThat(name).isIn("/berth-web-1 web web-1 r1 no", "/berth-web-1 web web-1 r1");

        RunningInstance again = backend.start(req("web-1", node, web));
        assertThat(again.handle()).isEqualTo(started.get(0).handle());
        assertThat(again.endpoint()).isEqualTo(started.get(0).endpoint());
        assertThat(exits).isEmpty();
    }

    @Test
    void theEngineIsANodeWithTheCapacitiesItReports() throws Exception {
        NodeSpec spec = backend.nodeSpec();

        assertThat(spec.id()).isEqualTo(node);
        String[] info = docker("info", "--format", "{{.NCPU}} {{.MemTotal}}").out().split(" ");
        assertThat(spec.capacity().get("cpu")).isEqualTo(Double.parseDouble(info[0]));
        assertThat(spec.capacity().get("memoryMb")).isEqualTo((double) (Long.parseLong(info[1]) / (1024 * 1024)));
    }

    @Test
    void aContainerKilledFromOutsideIsReportedOnceWithItsHandle() throws Exception {
        RunningInstance i = backend.start(req("victim", node, Kit.sh("crashy", "exec sleep 300").build()));
        assertThat(docker("kill", "berth-victim").code()).isZero();
        waiting().until(() -> !exits.isEmpty());
        // and no second report in the next second
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> exits.size() == 1);
        Exit e = exits.get(0);
        assertThat(e.id()).isEqualTo("victim");
        assertThat(e.handle()).isEqualTo(i.handle());
        assertThat(e.info().code()).isEqualTo(137);

        // a stopped leftover with the same name is removed and recreated
        RunningInstance again = backend.start(req("victim", node, Kit.sh("crashy", "exec sleep 300").build()));
        assertThat(again.handle()).isNotEqualTo(i.handle());
        assertThat(docker("inspect", "--format", "{{.State.Running}}", again.handle()).out()).isEqualTo("true");
    }

    @Test
    void anExitOnItsOwnIsReportedWithItsCodeAndStopIsNot() throws Exception {
        RunningInstance i = backend.start(req("short", node, Kit.sh("short", "sleep 1; exit 3").build()));
        waiting().until(() -> !exits.isEmpty());
        assertThat(exits.get(0).handle()).isEqualTo(i.handle());
        assertThat(exits.get(0).info().code()).isEqualTo(3);

        RunningInstance s = backend.start(req("stopped", node, Kit.sh("long", "exec sleep 300").build()));
        long t0 = System.nanoTime();
        backend.stop("stopped", Duration.ofSeconds(1));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
        assertThat(docker("inspect", s.handle()).code()).isNotZero(); // gone
        backend.stop("stopped", Duration.ofSeconds(1)); // no-op
        backend.stop("never-was", Duration.ofSeconds(1));
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> exits.size() == 1);
    }

    @Test
    void anExitWhileTheEventStreamIsLostIsReportedOnceAfterTheReconnect() throws Exception {
        RunningInstance i = backend.start(req("lost", node, Kit.sh("lost", "exec sleep 300").build()));
        RunningInstance j = backend.start(req("lost-2", node, Kit.sh("lost", "exec sleep 300").build()));
        backend.dropEventStream();
        // both die while no stream is open (the watcher waits 1 s before reconnecting)
        assertThat(docker("kill", "berth-lost").code()).isZero();
        assertThat(docker("stop", "-t", "0", "berth-lost-2").code()).isZero();
        waiting().until(() -> exits.size() >= 2);
        // each once: nothing more comes in the next 1.5 s
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(() -> exits.size() == 2);
        assertThat(exits).extracting(Exit::id, Exit::handle).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("lost", i.handle()),
                org.assertj.core.groups.Tuple.tuple("lost-2", j.handle()));
        // and the stream works again afterwards
        RunningInstance k = backend.start(req("after", node, Kit.sh("lost", "exec sleep 300").build()));
        docker("kill", "berth-after");
        waiting().until(() -> exits.stream().anyMatch(e -> e.handle().equals(k.handle())));
        assertThat(exits).hasSize(3);
    }

    @Test
    void twoBackendsStartingTheSameIdMakeOneContainer() throws Exception {
        AppSpec spec = Kit.sh("twin", "exec sleep 300").build();
        try (DockerBackend other = Kit.builder(node).build()) {
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            try {
                List<java.util.concurrent.Future<RunningInstance>> futures = new ArrayList<>();
                for (int n = 0; n < 4; n++) {
                    DockerBackend b = n % 2 == 0 ? backend : other;
                    futures.add(pool.submit(() -> b.start(req("twin", node, spec))));
                }
                java.util.Set<String> handles = new java.util.HashSet<>();
                for (var f : futures) {
                    handles.add(f.get().handle());
                }
                assertThat(handles).hasSize(1);
            } finally {
                pool.shutdownNow();
            }
        }
        assertThat(docker("ps", "-q", "--filter", "label=dev.berth.node=" + node).out().lines().count()).isEqualTo(1);
    }


    @Test
    void aNewBackendAdoptsTheRunningContainers() throws Exception {
        AppSpec web = Kit.web("web").build();
        RunningInstance a = backend.start(req("a-1", node, web));
        RunningInstance b = backend.start(req("a-2", node, web));
        backend.close();

        try (DockerBackend other = Kit.builder(node).build();
             DockerBackend elsewhere = Kit.builder(Kit.node()).build()) {
            List<CopyOnWriteArrayList<String>> seen = List.of(new CopyOnWriteArrayList<>());
            other.onExit((id, handle, exit) -> seen.get(0).add(id + " " + handle));
            long t0 = System.nanoTime();
            List<RunningInstance> listed = other.list();
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(listed).extracting(RunningInstance::instanceId, RunningInstance::handle,
                    RunningInstance::endpoint).containsExactlyInAnyOrder(
                    org.assertj.core.groups.Tuple.tuple("a-1", a.handle(), a.endpoint()),
                    org.assertj.core.groups.Tuple.tuple("a-2", b.handle(), b.endpoint()));
            assertThat(listed).allSatisfy(r -> assertThat(r.startedAt()).isEqualTo(
                    r.handle().equals(a.handle()) ? a.startedAt() : b.startedAt()));
            assertThat(elsewhere.list()).isEmpty();
            assertThat(took).isLessThan(Duration.ofSeconds(1));
            // the adopting backend sees exits of what it adopted
            docker("kill", "berth-a-2");
            waiting().until(() -> seen.get(0).contains("a-2 " + b.handle()));
            assertThat(other.start(req("a-1", node, web)).handle()).isEqualTo(a.handle());
        }
    }

    @Test
    void resourcesBecomeLimitsReadBackFromInspect() throws Exception {
        AppSpec spec = Kit.sh("limited", "exec sleep 300").resources(Resources.of(0.5, 64)).build();
        RunningInstance i = backend.start(req("lim", node, spec));
        String limits = docker("inspect", "--format", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}",
                i.handle()).out();
        assertThat(limits).isEqualTo((64L * 1024 * 1024) + " 500000000");
    }

    @Test
    void statsGiveCpuAndMemoryForAccounting() throws Exception {
        AppSpec spec = Kit.sh("busy", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; exec sleep 300")
                .resources(Resources.of(1, 64)).build();
        backend.start(req("busy-1", node, spec));
        waiting().until(() -> backend.stats("busy-1").cpuTime().toMillis() > 10);
        DockerBackend.Stats s = backend.stats("busy-1");
        assertThat(s.memoryBytes()).isPositive();
        assertThat(s.memoryLimitBytes()).isEqualTo(64L * 1024 * 1024);
        assertThatThrownBy(() -> backend.stats("nope")).isInstanceOf(BackendException.class)
                .hasMessageContaining("berth-nope");
    }

    @Test
    void execAndLogsGiveTheContainersRealOutput() throws Exception {
        AppSpec spec = Kit.sh("talk", "echo started $BERTH_INSTANCE_ID; echo to-stderr >&2; exec sleep 300")
                .env("GREETING", "hi there").build();
        backend.start(req("talk-1", node, spec));
        waiting().until(() -> backend.console().logs("talk-1", 10).size() >= 2);
        assertThat(backend.console().logs("talk-1", 10)).containsExactlyInAnyOrder("started talk-1", "to-stderr");
        assertThat(backend.console().logs("talk-1", 1)).hasSize(1);

        ExecResult r = backend.console().exec("talk-1",
                List.of("sh", "-c", "echo \"$GREETING\"; echo oops >&2; exit 3"), Duration.ofSeconds(20));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.output()).contains("hi there").contains("oops");
        assertThat(backend.console().exec("talk-1", List.of("true"), Duration.ofSeconds(20)).exitCode()).isZero();

        List<String> followed = new CopyOnWriteArrayList<>();
        AutoCloseable f = backend.console().follow("talk-1", followed::add);
        try {
            // written until the follower, which attaches in the background, has seen it
            waiting().until(() -> {
                backend.console().exec("talk-1", List.of("sh", "-c", "echo followed-line > /proc/1/fd/1"),
                        Duration.ofSeconds(20));
                return followed.contains("followed-line");
            });
        } finally {
            f.close();
        }
        assertThat(followed).doesNotContain("started talk-1");

        assertThatThrownBy(() -> backend.console().logs("nope", 5)).isInstanceOf(BackendException.class)
                .hasMessageContaining("berth-nope");
    }

    @Test
    void aMissingImageIsAClearError() {
        AppSpec spec = AppSpec.builder("ghost").source(dev.berth.api.Source.image("berth-test/absent:9"))
                .command("true").build();
        assertThatThrownBy(() -> backend.start(req("g", node, spec))).isInstanceOf(BackendException.class)
                .hasMessageContaining("berth-test/absent:9").hasMessageContaining("nothing is pulled");
    }

    @Test
    void aDaemonThatIsDownIsAClearError() {
        try (DockerBackend down = DockerBackend.builder().dockerHost("unix:///tmp/berth-no-such-docker.sock")
                .node(node).build()) {
            assertThatThrownBy(down::list).isInstanceOf(BackendException.class)
                    .hasMessageContaining("cannot reach the Docker daemon at unix:///tmp/berth-no-such-docker.sock");
            assertThatThrownBy(() -> down.start(req("x", node, Kit.web("web").build())))
                    .isInstanceOf(BackendException.class).hasMessageContaining("cannot reach the Docker daemon");
            assertThatThrownBy(() -> down.stop("x", Duration.ofSeconds(1)))
                    .isInstanceOf(BackendException.class).hasMessageContaining("cannot reach the Docker daemon");
        }
    }

    @Test
    void labelsOfTheBuilderAreOnTheContainer() throws Exception {
        try (DockerBackend labelled = Kit.builder(node).labels(Map.of("team", "blue")).build()) {
            RunningInstance i = labelled.start(req("lab", node, Kit.sh("lab", "exec sleep 300").build()));
            assertThat(docker("inspect", "--format", "{{index .Config.Labels \"team\"}} "
                    + "{{index .Config.Labels \"dev.berth.node\"}}", i.handle()).out()).isEqualTo("blue " + node);
        }
    }

    @Test
    void theCommandGetsItsDollarBraceArgumentsExpandedFromTheContainerEnvEachWhole() {
        // PORT is the container's port (RANDOM_PORT becomes a container port published on the host)
        AppSpec spec = AppSpec.builder("argv").source(dev.berth.api.Source.image(Kit.IMAGE))
                .command("sh", "-c", "echo \"[$1][$2][$3][$4]\"; exec sleep 300", "argv",
                        "${PORT}", "${BERTH_INSTANCE_ID}@${BERTH_APP}", "${GREETING}", "$${HOME}")
                .env("PORT", AppSpec.RANDOM_PORT).env("GREETING", "a b; $(touch /pwned) `id`").build();
        backend.start(req("argv-1", node, spec));

        waiting().until(() -> backend.console().logs("argv-1", 5), lines -> !lines.isEmpty());
        String port = backend.console().environment("argv-1").get("PORT");
        assertThat(backend.console().logs("argv-1", 5))
                .containsExactly("[" + port + "][argv-1@argv][a b; $(touch /pwned) `id`][${HOME}]");
        assertThat(backend.console().exec("argv-1", List.of("ls", "/pwned"), java.time.Duration.ofSeconds(10)).exitCode())
                .isNotZero();
    }
}
