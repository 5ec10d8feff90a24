// The platform on a real 3-node swarm behind a real nginx: instances on every node, routed, respawned, adopted, logged.
package dev.berth.backend.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Resources;
import dev.berth.api.Routing;
import dev.berth.api.Source;
import dev.berth.core.Platform;
import dev.berth.router.nginx.NginxRouter;
import dev.berth.spi.LaunchRequest;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SwarmBackend} under the platform, against {@link SwarmCluster} (three dockerds in network
 * namespaces joined into a swarm) and nginx on 127.0.0.1. The app is busybox's httpd answering its
 * instance id; requests go through nginx to each task's port on its node's address.
 */
class SwarmBackendIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String DOMAIN = "hello.swarm.test";
    @TempDir
    static Path tmp;
    private static SwarmCluster swarm;

    @BeforeAll
    static void up() throws Exception {
        swarm = SwarmCluster.start(tmp.resolve("swarm"));
    }

    @AfterAll
    static void down() throws Exception {
        if (swarm != null) {
            swarm.close();
        }
    }

    static AppSpec hello(int instances) {
        return AppSpec.builder("hello").source(new Source.Image(SwarmCluster.IMAGE))
                .command(List.of("sh", "-c", "mkdir -p /www && echo \"$BERTH_INSTANCE_ID\" > /www/index.html && exec httpd -f -p $PORT -h /www"))
                // a second random port (sorted first: container port 8080) that nothing listens on: the endpoint is PORT's
                .env(AppSpec.PORT, AppSpec.RANDOM_PORT).env("ADMIN_PORT", AppSpec.RANDOM_PORT).instances(instances)
                .resources(Resources.of(0.1, 16))
                .routing(Routing.of(DOMAIN)).constraints(new dev.berth.api.Constraints(false, 2, Map.of())).build();
    }

    /** The app's instance records now, from one view. */
    static List<InstanceRecord> records(Platform p) {
        return p.app("hello").records();
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** One GET through nginx; the instance id that answered. */
    private static String get(int port) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + DOMAIN + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!text.startsWith("HTTP/1.1 200")) {
                String body = text.indexOf("\r\n\r\n") < 0 ? "" : text.substring(text.indexOf("\r\n\r\n") + 4).strip();
                throw new AssertionError("through nginx: " + text.lines().findFirst().orElse("") + ": "
                        + body.substring(0, Math.min(120, body.length())));
            }
            return text.substring(text.indexOf("\r\n\r\n") + 4).strip();
        }
    }

    static Set<String> answering(int port) throws Exception {
        Set<String> ids = new TreeSet<>();
        for (int i = 0; i < 40; i++) {
            ids.add(get(port));
        }
        return ids;
    }

    @Test
    void sixInstancesOnThreeNodesAreRoutedRespawnedAndAdoptedByTheNextPlatform() throws Exception {
        int http = freePort();
        SwarmBackend.Builder b = SwarmBackend.builder().manager(swarm.socket(1));
        for (int n = 1; n <= SwarmCluster.NODES; n++) { // each node's own engine, for exec
            b.engine(swarm.docker(n, "info", "--format", "{{.Swarm.NodeID}}").strip(), swarm.socket(n));
        }
        SwarmBackend backend = b.build();
        assertThat(backend.nodes()).hasSize(3);
        Platform p = Platform.builder().cluster(backend.nodes()).backend(backend)
                .router(NginxRouter.builder().prefix(tmp.resolve("nginx")).httpPort(http).keepRunningOnClose(true).build())
                .stateDir(tmp.resolve("state")).build();
        Map<String, String> handles;
        try {
            p.deploy(hello(6));
            await().atMost(WAIT).until(() -> records(p).stream().filter(r -> r.state() == InstanceState.HEALTHY).count() == 6);
            List<InstanceRecord> six = records(p);
            assertThat(six.stream().collect(Collectors.groupingBy(InstanceRecord::node, Collectors.counting())))
                    .as("two on each node (at most 2 per node)").hasSize(3).allSatisfy((node, n) -> assertThat(n).isEqualTo(2));
            assertThat(six).allSatisfy(r -> assertThat(r.endpoint().host()).startsWith("10.214.0."));
            await().atMost(WAIT).ignoreExceptions().until(() -> answering(http).size() == 6);
            assertThat(swarm.docker(1, "service", "ls", "--format", "{{.Name}}").lines().filter(l -> l.startsWith("berth-hello-")))
                    .hasSize(6);

            // a task that ends is respawned by Berth as a new service, on the node Berth chose
            String victim = six.get(0).id();
            swarm.docker(1, "service", "rm", "berth-" + victim);
            await().atMost(WAIT).until(() -> records(p).stream().anyMatch(r -> r.id().equals(victim)
                    && r.state() == InstanceState.HEALTHY && r.restarts() == 1));
            await().atMost(WAIT).ignoreExceptions().until(() -> answering(http).size() == 6);
            assertThat(p.logs(victim, 10)).as("the task's own log, through the manager").isNotNull();
            dev.berth.api.ExecResult inside = p.exec(victim, List.of("cat", "/www/index.html"));
            assertThat(inside.exitCode()).isZero();
            assertThat(inside.output().strip()).as("exec in the task's container, on its node's engine").isEqualTo(victim);
            assertThat(p.exec(victim, List.of("sh", "-c", "exit 3")).exitCode()).isEqualTo(3);
            try (dev.berth.spi.Terminal t = backend.console().terminal(victim, List.of("/bin/sh"), 100, 30)) {
                dev.berth.contract.TerminalScreen screen = new dev.berth.contract.TerminalScreen(t);
                screen.type("stty size; echo \"in $(cat /www/index.html)\"\r");
                await().atMost(Duration.ofSeconds(20)).until(() -> screen.text().contains("30 100")
                        && screen.text().contains("in " + victim));
                t.resize(120, 40);
                screen.type("stty size\r");
                await().atMost(Duration.ofSeconds(20)).until(() -> screen.text().contains("40 120"));
                screen.type("exit 4\r");
                assertThat(t.waitFor()).as("a terminal in the task's container, on its node's engine").isEqualTo(4);
            }

            handles = records(p).stream().collect(Collectors.toMap(InstanceRecord::id, InstanceRecord::handle));
        } finally {
            p.close(); // the services keep running, nginx keeps serving
        }
        assertThat(answering(http)).hasSize(6);

        SwarmBackend again = SwarmBackend.builder().manager(swarm.socket(2)).build(); // another manager of the same swarm
        Platform next = Platform.builder().cluster(again.nodes()).backend(again)
                .router(NginxRouter.builder().prefix(tmp.resolve("nginx")).httpPort(http).build())
                .stateDir(tmp.resolve("state")).build();
        try {
            await().atMost(WAIT).until(() -> records(next).stream().filter(r -> r.state() == InstanceState.HEALTHY).count() == 6);
            assertThat(records(next).stream().collect(Collectors.toMap(InstanceRecord::id, InstanceRecord::handle)))
                    .as("the same tasks, adopted, none restarted").isEqualTo(handles);
            assertThat(answering(http)).hasSize(6);
            next.scale("hello", dev.berth.api.Instances.of(2));
            await().atMost(WAIT).until(() -> records(next).size() == 2);
            await().atMost(WAIT).until(() -> swarm.docker(1, "service", "ls", "--format", "{{.Name}}").lines()
                    .filter(l -> l.startsWith("berth-hello-")).count() == 2);
            await().atMost(WAIT).ignoreExceptions().until(() -> answering(http).size() == 2);
            next.remove("hello");
            await().atMost(WAIT).until(() -> swarm.docker(1, "service", "ls", "-q").isBlank());
        } finally {
            next.stopAll(Duration.ofSeconds(30));
            next.close();
        }
    }

    /** A directory holding a Dockerfile on the test image that serves {@code text}. */
    private static Path site(String name, String text) throws Exception {
        Path dir = java.nio.file.Files.createDirectories(tmp.resolve(name));
        java.nio.file.Files.writeString(dir.resolve("Dockerfile"), "FROM " + SwarmCluster.IMAGE + "\nCOPY index.html /www/index.html\n");
        java.nio.file.Files.writeString(dir.resolve("index.html"), text + "\n");
        return dir;
    }

    @Test
    void aDirectoryIsBuiltOnceOnTheManagerAndLoadedIntoEachOtherNodeWithoutARegistry() throws Exception {
        int http = freePort();
        SwarmBackend.Builder b = SwarmBackend.builder().manager(swarm.socket(1)).name("img").stopGrace(Duration.ofSeconds(3));
        for (int n = 1; n <= SwarmCluster.NODES; n++) { // each node's own engine, to load images into
            b.engine(swarm.docker(n, "info", "--format", "{{.Swarm.NodeID}}").strip(), swarm.socket(n));
        }
        SwarmBackend backend = b.build();
        List<String> buildLines = new java.util.concurrent.CopyOnWriteArrayList<>();
        Platform p = Platform.builder().cluster(backend.nodes()).backend(backend)
                .router(NginxRouter.builder().prefix(tmp.resolve("nginx-img")).httpPort(http).build())
                .stateDir(tmp.resolve("state-img")).build();
        p.addListener(e -> {
            if (e instanceof dev.berth.api.PlatformEvent.BuildOutput out) {
                buildLines.add(out.line());
            }
        });
        try {
            AppSpec built = hello(3).toBuilder().source(Source.directory(site("site-one", "built one")))
                    .command(List.of("sh", "-c", "exec httpd -f -p $PORT -h /www"))
                    .constraints(new dev.berth.api.Constraints(false, 1, Map.of())).build();
            p.deploy(built);
            await().atMost(WAIT).until(() -> records(p).stream().filter(r -> r.state() == InstanceState.HEALTHY).count() == 3);
            assertThat(records(p)).extracting(InstanceRecord::node).as("one per node").doesNotHaveDuplicates().hasSize(3);
            await().atMost(WAIT).ignoreExceptions().until(() -> answering(http).equals(Set.of("built one")));
            assertThat(backend.imageLoads()).as("saved on the manager, loaded into each of the two other nodes once").isEqualTo(2);
            assertThat(buildLines).as("the build's output reached the build listener").anyMatch(l -> l.contains("COPY"));
            String image = swarm.docker(1, "service", "inspect", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
                    "img-" + records(p).get(0).id()).strip();
            assertThat(image).as("the built image, by id: no node tries to pull it").startsWith("sha256:");
            assertThat(swarm.docker(1, "service", "inspect", "--format", "{{.Spec.TaskTemplate.ContainerSpec.StopGracePeriod}}",
                    "img-" + records(p).get(0).id()).strip()).as("the builder's stop grace").isEqualTo("3s");
            for (int n = 1; n <= SwarmCluster.NODES; n++) {
                assertThat(swarm.docker(n, "image", "inspect", "--format", "{{.RepoTags}}", image)).as("node %d has %s", n, image)
                        .contains("berth/hello:");
            }

            // A new release (new code) is a new image: built once more, loaded once more per other node.
            p.deploy(built.toBuilder().source(Source.directory(site("site-two", "built two"))).build());
            await().atMost(WAIT).ignoreExceptions().until(() -> answering(http).equals(Set.of("built two")));
            assertThat(backend.imageLoads()).isEqualTo(4);
        } finally {
            p.stopAll(Duration.ofSeconds(30));
            p.close();
        }
    }

    @Test
    void aNodeLabelIsAConstraintHonouredOnTheSwarm() throws Exception {
        String blue = swarm.docker(2, "info", "--format", "{{.Swarm.NodeID}}").strip();
        swarm.docker(1, "node", "update", "--label-add", "zone=blue", blue);
        int http = freePort();
        SwarmBackend backend = SwarmBackend.builder().manager(swarm.socket(1)).name("lbl").build();
        assertThat(backend.nodes()).filteredOn(n -> n.id().equals(blue)).singleElement()
                .satisfies(n -> assertThat(n.labels()).containsEntry("zone", "blue"));
        Platform p = Platform.builder().cluster(backend.nodes()).backend(backend)
                .router(NginxRouter.builder().prefix(tmp.resolve("nginx-lbl")).httpPort(http).build())
                .stateDir(tmp.resolve("state-lbl")).build();
        try {
            p.deploy(hello(3).toBuilder().constraints(new dev.berth.api.Constraints(false, 0, Map.of("zone", "blue"))).build());
            await().atMost(WAIT).until(() -> records(p).stream().filter(r -> r.state() == InstanceState.HEALTHY).count() == 3);
            assertThat(records(p)).extracting(InstanceRecord::node).as("only the node labelled zone=blue").containsOnly(blue);
            await().atMost(WAIT).ignoreExceptions().until(() -> answering(http).size() == 3);
            assertThat(swarm.docker(2, "ps", "--format", "{{.Names}}").lines().filter(l -> l.startsWith("lbl-hello-")))
                    .as("the tasks' containers run on that node's engine").hasSize(3);
        } finally {
            p.stopAll(Duration.ofSeconds(30));
            p.close();
            swarm.docker(1, "node", "update", "--label-rm", "zone", blue);
        }
    }

    @Test
    void anAppWithoutAnImageOrOnANodeOutsideTheSwarmIsRefusedNamingWhy() {
        try (SwarmBackend backend = SwarmBackend.builder().manager(swarm.socket(1)).swarmSchedules(false).build()) {
            AppSpec noImage = AppSpec.builder("plain").command(List.of("sleep", "60")).build();
            assertThatThrownBy(() -> backend.start(new LaunchRequest("plain-1", backend.nodes().get(0).id(), noImage, "r1-a")))
                    .isInstanceOf(BackendException.class).hasMessageContaining("runs source.image, or a directory or git push holding a Dockerfile");
            assertThatThrownBy(() -> backend.start(new LaunchRequest("hello-1", "nowhere", hello(1), "r1-a")))
                    .isInstanceOf(BackendException.class).hasMessageContaining("node 'nowhere' is not a node of the swarm");
            // (when Swarm places, the node asked for is only the platform's guess: it is not looked up)
        }
        assertThatThrownBy(() -> SwarmBackend.builder().manager("http://x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unix:///PATH or tcp://HOST:PORT");
        assertThatThrownBy(() -> SwarmBackend.builder().name("Bad Name")).hasMessageContaining("1-20 of a-z 0-9 -");
        assertThatThrownBy(() -> SwarmBackend.builder().stopGrace(Duration.ofMinutes(11)))
                .hasMessage("swarm stopGrace PT11M is not allowed: 0 to 10 minutes");
    }

    /** A bounded load through nginx: {@code clients} threads, a fresh connection per request, until stopped or 3 minutes. */
    static final class Load implements AutoCloseable {
        final java.util.concurrent.atomic.LongAdder ok = new java.util.concurrent.atomic.LongAdder();
        final List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        private final List<Thread> threads = new java.util.ArrayList<>();

        Load(int port, int clients) {
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            for (int i = 0; i < clients; i++) {
                Thread t = new Thread(() -> {
                    while (!stop.get() && System.nanoTime() < deadline) {
                        try {
                            get(port);
                            ok.increment();
                        } catch (Exception | AssertionError e) {
                            failures.add(e.toString());
                        }
                    }
                }, "load-" + i);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join(15_000);
            }
        }
    }

    /** What a node cut under load came to: how long until the platform recovered, and the load's counts. */
    record Cut(Duration took, Load load) {
    }

    /**
     * Cuts node {@code node}'s link while four clients load nginx at {@code port}; waits (polling
     * every 200 ms) until {@code recovered} holds, then until {@code routed} holds, and stops the load.
     */
    static Cut cutUnderLoad(SwarmCluster swarm, int node, int port, java.util.concurrent.Callable<Boolean> recovered,
                            java.util.concurrent.Callable<Boolean> routed) throws Exception {
        Load load = new Load(port, 4);
        try {
            await().atMost(WAIT).until(() -> load.ok.sum() > 100);
            long cut = System.nanoTime();
            swarm.cut(node);
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(recovered);
            Duration took = Duration.ofNanos(System.nanoTime() - cut);
            await().atMost(WAIT).ignoreExceptions().until(routed);
            return new Cut(took, load);
        } finally {
            load.close();
        }
    }

    @Test
    void aRollingUpdateOnTheSwarmWithBerthPlacingUnderLoadFailsNoRequest() throws Exception {
        int http = freePort();
        SwarmBackend backend = SwarmBackend.builder().manager(swarm.socket(1)).name("roll").swarmSchedules(false).build();
        Platform p = Platform.builder().cluster(backend.nodes()).backend(backend)
                .router(NginxRouter.builder().prefix(tmp.resolve("nginx-roll")).httpPort(http).build())
                .stateDir(tmp.resolve("state-roll")).build();
        try {
            p.deploy(hello(6).toBuilder().env("GREETING", "one").build());
            await().atMost(WAIT).ignoreExceptions().until(() -> answering(http).size() == 6);
            String first = p.app("hello").release();
            Load load = new Load(http, 4);
            try {
                await().atMost(WAIT).until(() -> load.ok.sum() > 200);
                p.deploy(hello(6).toBuilder().env("GREETING", "two").build());
                await().atMost(WAIT).until(() -> !p.app("hello").release().equals(first) && records(p).size() == 6
                        && records(p).stream().allMatch(r -> r.release().equals(p.app("hello").release())
                                && r.state() == InstanceState.HEALTHY));
                await().atMost(WAIT).until(() -> swarm.docker(1, "service", "ls", "--format", "{{.Name}}").lines()
                        .filter(l -> l.startsWith("roll-hello-")).count() == 6);
                long seen = load.ok.sum();
                await().atMost(WAIT).until(() -> load.ok.sum() > seen + 200);
            } finally {
                load.close();
            }
            org.slf4j.LoggerFactory.getLogger(SwarmBackendIT.class).info("rolling update on the swarm: {} requests ok, {} failed",
                    load.ok.sum(), load.failures.size());
            assertThat(load.failures).as("failed requests of %d", load.ok.sum()).isEmpty();
            assertThat(answering(http)).hasSize(6).allSatisfy(id -> assertThat(records(p)).extracting(InstanceRecord::id).contains(id));
        } finally {
            p.stopAll(Duration.ofSeconds(30));
            p.close();
        }
    }
}
