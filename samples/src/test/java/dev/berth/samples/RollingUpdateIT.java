package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.DeployRecord;
import dev.berth.api.HealthCheck;
import dev.berth.api.InstanceState;
import dev.berth.api.NodeSpec;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.api.Routing;
import dev.berth.api.UpdateStrategy;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import dev.berth.core.PlatformBuilder;
import dev.berth.router.nginx.NginxRouter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rolling updates through a real nginx under a bounded load: a new release takes over 4 instances
 * with no failed request and the answers switch to it; a release whose instances never pass
 * their health check is rolled back at its deadline, with no failed request, and the previous
 * release serves throughout.
 */
class RollingUpdateIT {
    private static final Logger LOG = LoggerFactory.getLogger(RollingUpdateIT.class);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String DOMAIN = "hello.test";

    @TempDir
    Path tmp;

    private Platform platform;
    private final List<PlatformEvent> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (platform != null) {
            try {
                platform.stopAll(WAIT);
            } finally {
                platform.close();
            }
        }
    }

    private static AppSpec hello(String version, boolean healthy) {
        AppSpec.Builder b = AppSpec.builder("hello")
                .command(Samples.javaCommand(HelloApp.class))
                .env("PORT", AppSpec.RANDOM_PORT)
                .env("VERSION", version)
                .instances(4)
                .resources(Resources.builder().cpu(1).build())
                .routing(Routing.of(DOMAIN))
                .healthCheck(HealthCheck.http("/health").withTimings(Duration.ofMillis(500), Duration.ofMillis(500)))
                .update(UpdateStrategy.defaults().withDeadline(Duration.ofSeconds(15)));
        if (!healthy) {
            b.env("HELLO_UNHEALTHY", "yes");
        }
        return b.build();
    }

    private boolean allHealthyOn(String release) {
        return platform.instances("hello").size() == 4 && platform.instances("hello").stream()
                .allMatch(i -> i.record().release().equals(release) && i.record().state() == InstanceState.HEALTHY);
    }

    @Test
    void aNewReleaseRollsOverWithoutAFailedRequestAndABrokenOneIsRolledBack() throws Exception {
        int port = TestTools.freePort();
        platform = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(8).build())) // room for 4 old + 4 new
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .router(NginxRouter.builder().prefix(tmp.resolve("nginx")).httpPort(port).build())
                .stateDir(tmp.resolve("state"))
                .listener(events::add)
                .build();
        String r1 = platform.deploy(hello("1", true)).release();
        await().atMost(WAIT).until(() -> allHealthyOn(r1));
        // a release is live once healthy and routed: only then is its rollout a success
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e instanceof PlatformEvent.DeploySucceeded d
                && d.release().equals(r1)));
        await().atMost(WAIT).ignoreExceptions().until(() -> HostLoad.hello(port, DOMAIN).endsWith(r1));

        // v2 under load: 0 failed requests, answers switch from r1 to r2
        HostLoad load = HostLoad.start(port, DOMAIN, 24, Duration.ofSeconds(40));
        await().atMost(WAIT).until(() -> load.okSoFar() > 200);
        long t0 = System.nanoTime();
        String r2 = platform.deploy(hello("2", true)).release();
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e instanceof PlatformEvent.DeploySucceeded d
                && d.release().equals(r2)));
        long rolled = System.nanoTime();
        long seen = load.okSoFar();
        await().atMost(WAIT).until(() -> load.okSoFar() > seen + 200); // the load goes on after the last switch
        HostLoad.Result v2 = load.stop();
        LOG.info("v2: {} ok, {} failed, rolled over in {} ms; answers {}", v2.ok(), v2.failed(),
                (rolled - t0) / 1_000_000, v2.bodies());
        assertThat(v2.failures()).as("failed requests during the v2 rollout").isEmpty();
        assertThat(v2.bodies().keySet()).anyMatch(k -> k.endsWith(r1)).anyMatch(k -> k.endsWith(r2));
        assertThat(HostLoad.hello(port, DOMAIN)).endsWith(r2);
        assertThat(events).anyMatch(e -> e instanceof PlatformEvent.TrafficSwitched t && t.release().equals(r2));

        // v3 never passes its health check: rolled back at its deadline, r2 serving throughout
        HostLoad load3 = HostLoad.start(port, DOMAIN, 24, Duration.ofSeconds(40));
        await().atMost(WAIT).until(() -> load3.okSoFar() > 200);
        String r3 = platform.deploy(hello("3", false)).release();
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e instanceof PlatformEvent.DeployFailed f
                && f.release().equals(r3)));
        await().atMost(WAIT).until(() -> allHealthyOn(r2));
        HostLoad.Result v3 = load3.stop();
        LOG.info("v3: {} ok, {} failed; answers {}", v3.ok(), v3.failed(), v3.bodies());
        assertThat(v3.failures()).as("failed requests during the failed v3 rollout").isEmpty();
        assertThat(v3.bodies().keySet()).allMatch(k -> k.endsWith(r2));
        PlatformEvent.DeployFailed failed = events.stream().filter(e -> e instanceof PlatformEvent.DeployFailed)
                .map(e -> (PlatformEvent.DeployFailed) e).findFirst().orElseThrow();
        assertThat(failed.rolledBackTo()).isEqualTo(r2);
        assertThat(failed.reason()).contains("within 15s");
        assertThat(platform.app("hello").release()).isEqualTo(r2);
        assertThat(platform.history("hello")).extracting(DeployRecord::release, DeployRecord::outcome).containsExactly(
                org.assertj.core.groups.Tuple.tuple(r1, DeployRecord.Outcome.SUCCEEDED),
                org.assertj.core.groups.Tuple.tuple(r2, DeployRecord.Outcome.SUCCEEDED),
                org.assertj.core.groups.Tuple.tuple(r3, DeployRecord.Outcome.ROLLED_BACK));
    }

    @Test
    void aRolloutInterruptedByARestartOfTheHostGoesOnFromTheSavedState() throws Exception {
        PlatformBuilder builder = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(8).build()))
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .stateDir(tmp.resolve("state"))
                .listener(events::add);
        platform = builder.build();
        String r1 = platform.deploy(hello("1", true).withInstances(dev.berth.api.Instances.of(2))).release();
        await().atMost(WAIT).until(() -> platform.instances("hello").size() == 2 && platform.instances("hello").stream()
                .allMatch(i -> i.record().state() == InstanceState.HEALTHY));
        String r2 = platform.deploy(hello("2", true).withInstances(dev.berth.api.Instances.of(2))).release();
        await().atMost(WAIT).until(() -> platform.instances("hello").stream().anyMatch(i -> i.record().release().equals(r2)));
        platform.close(); // the host stops mid-rollout: instances of both releases keep running
        events.clear();

        platform = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(8).build()))
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .stateDir(tmp.resolve("state"))
                .listener(events::add)
                .build();

        // r1's instances are adopted healthy, and the app never has fewer than 2 healthy instances
        java.util.concurrent.atomic.AtomicLong fewest = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
            fewest.accumulateAndGet(platform.instances("hello").stream()
                    .filter(i -> i.record().state() == InstanceState.HEALTHY).count(), Math::min);
            List<DeployRecord> h = platform.history("hello");
            return h.get(h.size() - 1).outcome() == DeployRecord.Outcome.SUCCEEDED && platform.instances("hello").size() == 2;
        });
        assertThat(events).anyMatch(e -> e instanceof PlatformEvent.InstanceAdopted);
        assertThat(fewest.get()).as("fewest healthy instances after the restart").isGreaterThanOrEqualTo(2);
        assertThat(platform.instances("hello")).allMatch(i -> i.record().release().equals(r2)
                && i.record().state() == InstanceState.HEALTHY);
        assertThat(platform.history("hello")).extracting(DeployRecord::release).containsExactly(r1, r2);
    }
}
