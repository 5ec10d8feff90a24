package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.HealthCheck;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Routing;
import dev.berth.spi.RunningInstance;
import dev.berth.api.Source;
import dev.berth.backend.ssh.SshBackend;
import dev.berth.backend.ssh.TestHosts;
import dev.berth.core.Platform;
import dev.berth.router.nginx.NginxRouter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One platform over several real machines: three OpenSSH hosts, each in a network namespace of its
 * own, an app of 4 instances across them served through nginx, with the SSH backend's default
 * heartbeat and the platform's default node-down threshold. A host is killed under a bounded load
 * (the time until its instances serve elsewhere is measured), another is cut off and healed (no
 * instance id runs twice), and a restarted platform adopts every remote instance. Then {@code Serve
 * --hosts} runs a manifest folder across two more hosts.
 */
class MultiHostIT {
    private static final Logger LOG = LoggerFactory.getLogger(MultiHostIT.class);
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String APP = "multi";
    private static final String DOMAIN = "multi.test";

    /** "hello from <id> (release <r>, <node>)" on / and "ok" on /health, from busybox httpd. */
    static final String HELLO = """
            d="www-$BERTH_INSTANCE_ID"
            mkdir -p "$d"
            echo "hello from $BERTH_INSTANCE_ID (release $BERTH_RELEASE, $BERTH_NODE)" > "$d/index.html"
            echo ok > "$d/health"
            exec busybox httpd -f -p "$PORT" -h "$d"
            """;

    @TempDir
    Path tmp;

    private TestHosts hosts;
    private final List<Platform> platforms = new ArrayList<>();
    private final List<PlatformEvent> events = new CopyOnWriteArrayList<>();
    private int httpPort;

    @AfterEach
    void cleanUp() {
        try {
            if (!platforms.isEmpty()) {
                platforms.get(platforms.size() - 1).stopAll(WAIT);
            }
        } catch (RuntimeException e) {
            LOG.warn("stopping the instances: {}", e.toString()); // the hosts go anyway
        } finally {
            platforms.forEach(Platform::close);
            if (hosts != null) {
                hosts.close();
            }
        }
    }

    private Platform platform() {
        SshBackend backend = SshBackend.builder().hosts(hosts.hosts()).build(); // default heartbeat (1 s)
        Platform p = Platform.builder()
                .cluster(backend.nodes())
                .backend(backend)
                .router(NginxRouter.builder().prefix(tmp.resolve("nginx")).httpPort(httpPort).build())
                .stateDir(tmp.resolve("state"))
                .listener(events::add)
                .build(); // default nodeDownAfter (5 s)
        platforms.add(p);
        return p;
    }

    static Path helloApp(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("hello.sh"), HELLO);
        return dir;
    }

    @Test
    void hostsThatDieOrGetCutOffHaveTheirInstancesPlacedElsewhereAndNoIdEverRunsTwice() throws Exception {
        hosts = TestHosts.create(21, 3);
        httpPort = TestTools.freePort();
        Platform platform = platform();
        platform.deploy(AppSpec.builder(APP)
                .source(Source.directory(helloApp(tmp.resolve("app"))))
                .command("sh", "hello.sh")
                .env("PORT", AppSpec.RANDOM_PORT)
                .instances(4)
                .routing(Routing.of(DOMAIN))
                .healthCheck(HealthCheck.http("/health").withTimings(Duration.ofMillis(500), Duration.ofMillis(500)))
                .build());
        await().atMost(WAIT).until(() -> healthy(platform).size() == 4);
        assertThat(healthy(platform)).extracting(InstanceRecord::node).containsOnly("h21", "h22", "h23");
        assertThat(healthy(platform).stream().map(InstanceRecord::node).distinct()).hasSize(3);
        await().atMost(WAIT).ignoreExceptions().until(() -> HostLoad.hello(httpPort, DOMAIN).startsWith(APP + "-"));

        // A host dies under load: its instances serve elsewhere, nothing else moves.
        String dead = busiest(platform);
        Set<String> onDead = idsOn(platform, dead);
        Set<String> others = healthy(platform).stream().filter(r -> !r.node().equals(dead)).map(InstanceRecord::id)
                .collect(Collectors.toSet());
        HostLoad load = HostLoad.start(httpPort, DOMAIN, 8, Duration.ofSeconds(40));
        await().atMost(WAIT).until(() -> load.okSoFar() > 50);
        Instant killed = Instant.now();
        hosts.kill(dead);
        await().atMost(WAIT).until(() -> healthy(platform).size() == 4 && idsOn(platform, dead).isEmpty());
        Duration moved = Duration.between(killed, Instant.now());
        HostLoad.Result result = load.stop();
        LOG.info("host {} killed: its {} instance(s) served elsewhere after {} ms; load: {} ok, {} failed",
                dead, onDead.size(), moved.toMillis(), result.ok(), result.failed());
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.NodeDown d && d.node().equals(dead)).hasSize(1);
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.InstanceLost)
                .extracting(e -> ((PlatformEvent.InstanceLost) e).instance()).containsExactlyInAnyOrderElementsOf(onDead);
        assertThat(healthy(platform)).extracting(InstanceRecord::id).containsAll(others);
        assertThat(HostLoad.hello(httpPort, DOMAIN)).startsWith(APP + "-");

        // A host is cut off (alive, unreachable), then heals: what it still runs is stopped.
        String cut = platform.instances(APP).stream().map(i -> i.record().node()).filter(n -> !n.equals(dead))
                .findFirst().orElseThrow();
        Set<String> onCut = idsOn(platform, cut);
        hosts.cut(cut);
        await().atMost(WAIT).until(() -> healthy(platform).size() == 4 && idsOn(platform, cut).isEmpty());
        hosts.heal(cut);
        await().atMost(WAIT).until(() -> events.stream().filter(e -> e instanceof PlatformEvent.StaleInstanceStopped)
                .count() == onCut.size());
        assertThat(events).anyMatch(e -> e instanceof PlatformEvent.NodeUp u && u.node().equals(cut));
        SshBackend look = SshBackend.builder().hosts(hosts.hosts()).heartbeat(Duration.ZERO).build();
        try (look) {
            List<String> running = look.list().stream().map(RunningInstance::instanceId).toList();
            assertThat(running).doesNotHaveDuplicates().doesNotContainAnyElementsOf(onCut).hasSize(4)
                    .containsExactlyInAnyOrderElementsOf(healthy(platform).stream().map(InstanceRecord::id).toList());
        }

        // A restarted platform adopts every remote instance, with the same handles.
        Map<String, String> handles = healthy(platform).stream()
                .collect(Collectors.toMap(InstanceRecord::id, InstanceRecord::handle));
        platform.close();
        events.clear();
        Platform again = platform();
        await().atMost(WAIT).until(() -> healthy(again).size() == 4);
        assertThat(healthy(again).stream().collect(Collectors.toMap(InstanceRecord::id, InstanceRecord::handle)))
                .isEqualTo(handles);
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.InstanceAdopted).hasSize(4);
        assertThat(events).noneMatch(e -> e instanceof PlatformEvent.InstanceStarted);
    }

    @Test
    void serveRunsAManifestFolderAcrossTheHostsOfAHostsFile() throws Exception {
        hosts = TestHosts.create(24, 2);
        Path app = helloApp(tmp.resolve("app"));
        Path manifests = Files.createDirectories(tmp.resolve("apps"));
        Files.writeString(manifests.resolve("hello.yml"), """
                apps:
                  hello:
                    source: {directory: %s}
                    command: [sh, hello.sh]
                    env: {PORT: RANDOM_PORT}
                    instances: 2
                    constraints: {uniqueHost: true}
                    routing: {domains: [serve.test]}
                    healthCheck: {type: http, path: /health, interval: 500ms, timeout: 500ms}
                """.formatted(app));
        StringBuilder file = new StringBuilder("""
                defaults:
                  user: root
                  privateKey: %s
                  knownHosts: %s
                hosts:
                """.formatted(hosts.clientKey(), hosts.knownHosts()));
        for (String node : List.of("h24", "h25")) {
            file.append("  - id: ").append(node).append("\n    address: ").append(hosts.address(node))
                    .append("\n    baseDir: ").append(hosts.baseDir(node)).append("\n");
        }
        Path hostsFile = Files.writeString(tmp.resolve("hosts.yml"), file.toString());
        int port = TestTools.freePort();
        try (JavaMain serve = new JavaMain(tmp.resolve("serve.out"), Serve.class, "--manifests", manifests.toString(),
                "--state", tmp.resolve("state").toString(), "--hosts", hostsFile.toString(), "--router", "nginx",
                "--http-port", Integer.toString(port), "--stop-on-exit")) {
            await().atMost(WAIT).until(() -> serve.count(": healthy") == 2);
            assertThat(serve.count("Serve: 2 SSH host(s) from " + hostsFile)).isEqualTo(1);
            Set<String> nodes = new java.util.HashSet<>();
            await().atMost(WAIT).ignoreExceptions().until(() -> {
                nodes.add(HostLoad.hello(port, "serve.test")); // "hello-N release"
                return nodes.size() == 2;
            });
            assertThat(serve.terminate()).isNotEqualTo(-1);
        }
        SshBackend look = SshBackend.builder().hosts(hosts.hosts()).heartbeat(Duration.ZERO).build();
        try (look) {
            assertThat(look.list()).as("instances left after --stop-on-exit").isEmpty();
        }

        // A hosts file with a mistake changes nothing and says where it is.
        Files.writeString(hostsFile, file.toString().replace("address: " + hosts.address("h25"), "address: 'a b'"));
        try (JavaMain bad = new JavaMain(tmp.resolve("bad.out"), Serve.class, "--manifests", manifests.toString(),
                "--state", tmp.resolve("state2").toString(), "--hosts", hostsFile.toString(), "--router", "none")) {
            assertThat(bad.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(bad.process.exitValue()).isEqualTo(2);
            assertThat(String.join("\n", bad.lines())).contains("--hosts " + hostsFile).contains("address")
                    .contains("nothing was changed");
        }
    }

    private static List<InstanceRecord> healthy(Platform p) {
        return p.app(APP).records().stream().filter(r -> r.state() == InstanceState.HEALTHY).toList();
    }

    private static Set<String> idsOn(Platform p, String node) {
        return p.app(APP).records().stream().filter(r -> r.node().equals(node))
                .map(InstanceRecord::id).collect(Collectors.toSet());
    }

    private static String busiest(Platform p) {
        return healthy(p).stream().collect(Collectors.groupingBy(InstanceRecord::node, Collectors.counting()))
                .entrySet().stream().max(Map.Entry.comparingByValue(Comparator.naturalOrder())).orElseThrow().getKey();
    }

}
