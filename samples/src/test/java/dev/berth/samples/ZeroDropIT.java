package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.HealthCheck;
import dev.berth.api.InstanceState;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.spi.Router;
import dev.berth.api.Routing;
import dev.berth.api.Traffic;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import dev.berth.router.haproxy.HaproxyRouter;
import dev.berth.router.nginx.NginxRouter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Zero failed requests while the platform replaces every instance one by one, under a bounded
 * load through a real router: a rolling restart, then a new release. The router's traffic
 * accounting then counts exactly what the load received.
 */
class ZeroDropIT {
    private static final Logger LOG = LoggerFactory.getLogger(ZeroDropIT.class);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String DOMAIN = "hello.test";

    @TempDir
    Path tmp;

    private Platform platform;

    @AfterEach
    void stop() {
        if (platform != null) {
            try {
                platform.stopAll(WAIT);
            } finally {
                platform.close(); // closes the router too, which stops its proxy
            }
        }
    }


    private AppSpec hello(String version) {
        return AppSpec.builder("hello")
                .command(Samples.javaCommand(HelloApp.class))
                .env("PORT", AppSpec.RANDOM_PORT)
                .env("VERSION", version)
                .instances(4)
                .resources(Resources.builder().cpu(1).build())
                .routing(Routing.of(DOMAIN))
                .healthCheck(HealthCheck.http("/health").withTimings(Duration.ofMillis(500), Duration.ofMillis(500)))
                .build();
    }

    private Set<String> healthyIds() {
        return platform.instances("hello").stream().filter(i -> i.record().state() == InstanceState.HEALTHY)
                .map(i -> i.id() + "@" + i.record().handle()).collect(Collectors.toSet());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nginx", "haproxy"})
    void noRequestFailsWhileEveryInstanceIsReplacedTwice(String proxy) throws Exception {
        int port = TestTools.freePort();
        Router router = proxy.equals("nginx")
                ? NginxRouter.builder().prefix(tmp.resolve("nginx")).httpPort(port).build()
                : HaproxyRouter.builder().prefix(tmp.resolve("haproxy")).httpPort(port).build();
        platform = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(8).build())) // room for 4 old + 4 new
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .router(router)
                .stateDir(tmp.resolve("state"))
                .build();
        platform.deploy(hello("1"));
        await().atMost(WAIT).until(() -> healthyIds().size() == 4);
        // Every healthy instance is in the router before the load starts.
        Set<String> answering = new java.util.HashSet<>();
        await().atMost(WAIT).ignoreExceptions().until(() -> {
            answering.add(HostLoad.hello(port, DOMAIN));
            return answering.size() == 4;
        });
        await().atMost(WAIT).until(() -> platform.traffic().getOrDefault(DOMAIN, Traffic.none()).requests() > 0);
        Traffic before = platform.traffic().get(DOMAIN);
        Set<String> first = healthyIds();

        HostLoad load = HostLoad.start(port, DOMAIN, 24, Duration.ofSeconds(40));
        long t0 = System.nanoTime();
        await().atMost(WAIT).until(() -> load.okSoFar() > 200);

        platform.restart("hello"); // one at a time: drained from the router, stopped, started, healthy
        await().atMost(WAIT).until(() -> {
            Set<String> now = healthyIds();
            return now.size() == 4 && now.stream().noneMatch(first::contains);
        });
        long restarted = System.nanoTime();
        String r2 = platform.deploy(hello("2")).release(); // new release beside the old, then the old drained
        await().atMost(WAIT).until(() -> platform.instances("hello").size() == 4 && platform.instances("hello").stream()
                .allMatch(i -> i.record().release().equals(r2) && i.record().state() == InstanceState.HEALTHY));
        long replaced = System.nanoTime();
        long seen = load.okSoFar();
        await().atMost(WAIT).until(() -> load.okSoFar() > seen + 200); // the load goes on after the last switch
        HostLoad.Result result = load.stop();
        LOG.info("{}: load: {} ok, {} failed, {} bytes; restart took {} ms, release {} ms; answers {}", proxy, result.ok(),
                result.failed(), result.bytes(), (restarted - t0) / 1_000_000, (replaced - restarted) / 1_000_000,
                result.bodies());

        assertThat(result.failures()).as("failed requests").isEmpty();
        assertThat(result.ok()).isGreaterThan(500);
        List<String> newIds = platform.instances("hello").stream().map(i -> i.id() + " " + r2).toList();
        assertThat(result.bodies().keySet()).containsAll(newIds); // the new instances served too

        // Traffic accounting counts exactly what the load received. haproxy counts a response as
        // it forwards it, without the "connection: close" line its HTTP/1 writer adds on its own
        // to each answer here (the clients ask to close); nginx counts every byte it sent.
        long added = proxy.equals("haproxy") ? "connection: close\r\n".length() * result.ok() : 0;
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Traffic after = platform.traffic().get(DOMAIN);
            assertThat(after.requests() - before.requests()).isEqualTo(result.ok());
            assertThat(after.bytesSent() - before.bytesSent()).isEqualTo(result.bytes() - added);
        });
    }
}
