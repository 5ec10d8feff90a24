// The platform over SSH hosts whose login shell is slow, under CPU load: no healthy host is declared down, no request fails.
package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Routing;
import dev.berth.api.Source;
import dev.berth.backend.ssh.SshBackend;
import dev.berth.backend.ssh.TestHosts;
import dev.berth.core.Platform;
import dev.berth.router.nginx.NginxRouter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three real OpenSSH hosts (network namespaces) whose login shell is bash with a {@code ~/.bashrc}
 * that sleeps 2 s, as a slow {@code pyenv init} does: OpenSSH runs it for every command. A Mako-shaped
 * app (a port, no health check) of 4 instances serves through nginx with the default heartbeat (1 s)
 * and node-down threshold (5 s), while 8 clients load it and both cores are kept busy for 20 s.
 * Liveness must pay no login shell per check: no host may be declared down (or even suspected), no
 * instance lost, no request failed.
 */
class SlowHostsIT {
    private static final Logger LOG = LoggerFactory.getLogger(SlowHostsIT.class);
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String APP = "slow";
    private static final String DOMAIN = "slow.test";

    @TempDir
    Path tmp;

    private TestHosts hosts;
    private Platform platform;
    private final List<PlatformEvent> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void cleanUp() {
        try {
            if (platform != null) {
                platform.stopAll(WAIT);
            }
        } catch (RuntimeException e) {
            LOG.warn("stopping the instances: {}", e.toString()); // the hosts go anyway
        } finally {
            if (platform != null) {
                platform.close();
            }
            if (hosts != null) {
                hosts.close();
            }
        }
    }

    @Test
    void aSlowLoginShellUnderCpuLoadDeclaresNoHostDownAndFailsNoRequest() throws Exception {
        hosts = TestHosts.create(31, 3);
        for (String h : List.of("h31", "h32", "h33")) {
            hosts.slowLogin(h, 2);
        }
        int httpPort = TestTools.freePort();
        SshBackend backend = SshBackend.builder().hosts(hosts.hosts()).build(); // default heartbeat and timeouts
        platform = Platform.builder()
                .cluster(backend.nodes())
                .backend(backend)
                .router(NginxRouter.builder().prefix(tmp.resolve("nginx")).httpPort(httpPort).build())
                .stateDir(tmp.resolve("state"))
                .listener(events::add)
                .build();
        platform.deploy(AppSpec.builder(APP)
                .source(Source.directory(MultiHostIT.helloApp(tmp.resolve("app"))))
                .command("sh", "hello.sh")
                .env("PORT", AppSpec.RANDOM_PORT)
                .instances(4)
                .routing(Routing.of(DOMAIN))
                .build());
        await().atMost(WAIT).until(() -> healthy().size() == 4);
        await().atMost(WAIT).ignoreExceptions().until(() -> HostLoad.hello(httpPort, DOMAIN).startsWith(APP + "-"));
        List<String> before = healthy().stream().map(InstanceRecord::id).sorted().toList();

        HostLoad load = HostLoad.start(httpPort, DOMAIN, 8, Duration.ofSeconds(30));
        List<Thread> burners = burnBothCores(Duration.ofSeconds(20));
        for (Thread t : burners) {
            t.join(Duration.ofSeconds(40).toMillis());
        }
        Thread.sleep(3_000); // a few beats more after the load on the cores
        HostLoad.Result result = load.stop();
        LOG.info("slow login shells under CPU load: {} ok, {} failed; events: {}", result.ok(), result.failed(),
                events.stream().filter(e -> e instanceof PlatformEvent.NodeDown || e instanceof PlatformEvent.InstanceLost
                        || e instanceof PlatformEvent.ControlPlaneSuspect).toList());

        assertThat(result.failures()).as("failed requests").isEmpty();
        assertThat(result.ok()).isGreaterThan(100);
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.NodeDown).as("hosts declared down").isEmpty();
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.ControlPlaneSuspect).as("suspicion").isEmpty();
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.InstanceLost).as("lost instances").isEmpty();
        assertThat(healthy().stream().map(InstanceRecord::id).sorted().toList()).isEqualTo(before);
    }

    private List<InstanceRecord> healthy() {
        return platform.app(APP).records().stream()
                .filter(r -> r.state() == InstanceState.HEALTHY).toList();
    }

    /** Two threads that spin for {@code time}, then end by themselves. */
    private static List<Thread> burnBothCores(Duration time) {
        List<Thread> threads = new ArrayList<>();
        long until = System.nanoTime() + time.toNanos();
        for (int i = 0; i < 2; i++) {
            Thread t = new Thread(() -> {
                long x = 0;
                while (System.nanoTime() < until) {
                    x += System.nanoTime() % 7;
                }
                LOG.debug("burner done ({})", x);
            }, "cpu-burner-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        return threads;
    }
}
