package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.HealthCheck;
import dev.berth.api.Instance;
import dev.berth.api.InstanceState;
import dev.berth.api.NodeSpec;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.spi.Router;
import dev.berth.api.Routing;
import dev.berth.api.UpdateStrategy;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import dev.berth.router.haproxy.HaproxyRouter;
import dev.berth.router.nginx.NginxRouter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Zero failed requests, for real, through the platform and a real nginx or haproxy, 3 instances of
 * a Python app that listens only 0.7 s after it starts, under 16 clients (a connection per
 * request, no retry, every non-200 and every I/O error a failure): 5 rolling deploys of the app
 * without a health check (Mako's shape: {@code PORT: RANDOM_PORT} and nothing else) and 5 of the
 * app with an HTTP check; 5 {@code kill -9}s of one of its instances; a release that never
 * listens, rolled back. Each figure is logged as one "ZeroFailIT figure" line.
 */
class ZeroFailIT {
    private static final Logger LOG = LoggerFactory.getLogger(ZeroFailIT.class);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration LOAD_MAX = Duration.ofSeconds(60);
    private static final int CLIENTS = 16;
    private static final int INSTANCES = 3;
    private static final int ROUNDS = 5;

    @TempDir
    Path tmp;

    private Platform platform;
    private Path script;
    private int port;
    private final List<PlatformEvent> events = new CopyOnWriteArrayList<>();

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

    private void start(String proxy) throws Exception {
        port = TestTools.freePort();
        Router router = proxy.equals("nginx")
                ? NginxRouter.builder().prefix(tmp.resolve("nginx")).httpPort(port).build()
                : HaproxyRouter.builder().prefix(tmp.resolve("haproxy")).httpPort(port).build();
        platform = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(8).build()))
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .router(router)
                .stateDir(tmp.resolve("state"))
                .listener(events::add)
                .build();
        script = PyHello.write(tmp.resolve("app"));
    }

    /** Mako's shape: a command and {@code PORT: RANDOM_PORT}; with {@code checked}, an HTTP check too. */
    private AppSpec app(String name, boolean checked, String version, String listen) {
        AppSpec.Builder b = AppSpec.builder(name)
                .command(PyHello.command(script, "0.7"))
                .env("PORT", AppSpec.RANDOM_PORT)
                .env("VERSION", version)
                .instances(INSTANCES)
                .routing(Routing.of(name + ".test"))
                .update(UpdateStrategy.defaults().withDeadline(Duration.ofSeconds(5)));
        if (checked) {
            b.healthCheck(HealthCheck.http("/health").withTimings(Duration.ofMillis(300), Duration.ofMillis(300)));
        }
        if (listen != null) {
            b.env("LISTEN", listen);
        }
        return b.build();
    }

    /** Deploys the first release and waits until the router answers from each of its instances. */
    private String deployAndReach(AppSpec spec) {
        String release = platform.deploy(spec).release();
        String domain = spec.name() + ".test";
        Set<String> answering = new HashSet<>();
        await().atMost(WAIT).ignoreExceptions().until(() -> {
            answering.add(HostLoad.hello(port, domain));
            return answering.size() == INSTANCES && answering.stream().allMatch(a -> a.endsWith(" " + release));
        });
        return release;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nginx", "haproxy"})
    void fiveRollingDeploysOfAnAppWithoutAHealthCheckFailNoRequest(String proxy) throws Exception {
        rollingDeploys(proxy, false);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nginx", "haproxy"})
    void fiveRollingDeploysOfAnAppWithAnHttpCheckFailNoRequest(String proxy) throws Exception {
        rollingDeploys(proxy, true);
    }

    /** {@value #ROUNDS} new releases (an env change each) rolled out one after the other under load. */
    private void rollingDeploys(String proxy, boolean checked) throws Exception {
        start(proxy);
        String name = checked ? "checked" : "plain";
        deployAndReach(app(name, checked, "0", null));
        String[] last = new String[1];
        underLoad(proxy, checked ? "5 rolling deploys, HTTP check" : "5 rolling deploys, no check", name,
                "deploy to DeploySucceeded (ms)", (load, took) -> {
                    for (int v = 1; v <= ROUNDS; v++) {
                        long t0 = System.nanoTime();
                        String release = platform.deploy(app(name, checked, Integer.toString(v), null)).release();
                        awaitOutcome(release, true);
                        took.add((System.nanoTime() - t0) / 1_000_000);
                        long seen = load.okSoFar();
                        await().atMost(WAIT).until(() -> load.okSoFar() > seen + 100); // the new release serves on
                        last[0] = release;
                    }
                });
        assertThat(platform.instances(name)).hasSize(INSTANCES).allMatch(i -> i.record().release().equals(last[0]));
        assertThat(HostLoad.hello(port, name + ".test")).endsWith(" " + last[0]);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nginx", "haproxy"})
    void fiveKillNinesOfOneOfThreeInstancesFailNoRequest(String proxy) throws Exception {
        start(proxy);
        deployAndReach(app("plain", false, "0", null));
        underLoad(proxy, "5 kill -9 of 1 of 3 instances", "plain", "kill to answering again (ms)", (load, back) -> {
            Thread.sleep(1000); // each victim has served a while: its death is not a crash loop's
            for (int k = 0; k < ROUNDS; k++) {
                Instance victim = platform.instances("plain").get(k % INSTANCES);
                String id = victim.id();
                String pid = victim.record().handle();
                long t0 = System.nanoTime();
                assertThat(ProcessHandle.of(Long.parseLong(pid)).orElseThrow().destroyForcibly()).isTrue(); // SIGKILL
                await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).ignoreExceptions()
                        .until(() -> answersAgain(id, pid));
                back.add((System.nanoTime() - t0) / 1_000_000);
                long seen = load.okSoFar();
                await().atMost(WAIT).until(() -> load.okSoFar() > seen + 150); // the load goes on over the new process
            }
        });
    }

    /** Whether instance {@code id} runs as a new process, ready, and answers on its own endpoint. */
    private boolean answersAgain(String id, String killedPid) throws Exception {
        Instance i = platform.instance(id);
        var r = i.record();
        if (r.handle() == null || r.handle().equals(killedPid) || r.endpoint() == null
                || r.state() != InstanceState.HEALTHY) {
            return false;
        }
        return HostLoad.hello(r.endpoint().port(), "plain.test").startsWith(id + " ");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nginx", "haproxy"})
    void aReleaseThatNeverListensIsRolledBackWithoutAFailedRequest(String proxy) throws Exception {
        start(proxy);
        String good = deployAndReach(app("plain", false, "1", null));
        PlatformEvent.DeployFailed[] failed = new PlatformEvent.DeployFailed[1];
        HostLoad.Result result = underLoad(proxy, "a release that never listens", "plain", "deploy to DeployFailed (ms)",
                (load, took) -> {
                    long t0 = System.nanoTime();
                    String mute = platform.deploy(app("plain", false, "2", "never")).release();
                    failed[0] = (PlatformEvent.DeployFailed) awaitOutcome(mute, false);
                    took.add((System.nanoTime() - t0) / 1_000_000);
                    await().atMost(WAIT).until(() -> platform.instances("plain").size() == INSTANCES
                            && platform.instances("plain").stream().allMatch(i -> i.record().release().equals(good)
                            && i.record().state() == InstanceState.HEALTHY));
                    long seen = load.okSoFar();
                    await().atMost(WAIT).until(() -> load.okSoFar() > seen + 100);
                });
        assertThat(result.bodies().keySet()).allMatch(k -> k.endsWith(" " + good));
        assertThat(failed[0].rolledBackTo()).isEqualTo(good);
        assertThat(failed[0].reason()).contains("within 5s");
        assertThat(platform.app("plain").release()).isEqualTo(good);
        LOG.info("{}: the mute release was rolled back: {}", proxy, failed[0].reason());
    }

    /**
     * Waits for the end of the rollout of {@code release}: {@code DeploySucceeded} when
     * {@code succeed}, else {@code DeployFailed}; the other outcome fails the test at once.
     */
    private PlatformEvent awaitOutcome(String release, boolean succeed) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> events.stream().anyMatch(e ->
                (e instanceof PlatformEvent.DeploySucceeded s && s.release().equals(release))
                        || (e instanceof PlatformEvent.DeployFailed f && f.release().equals(release))));
        PlatformEvent outcome = events.stream().filter(e ->
                (e instanceof PlatformEvent.DeploySucceeded s && s.release().equals(release))
                        || (e instanceof PlatformEvent.DeployFailed f && f.release().equals(release)))
                .findFirst().orElseThrow();
        assertThat(outcome).as("the outcome of the rollout of %s", release)
                .isInstanceOf(succeed ? PlatformEvent.DeploySucceeded.class : PlatformEvent.DeployFailed.class);
        return outcome;
    }

    /** What a scenario does while the load runs; it adds the times it measures to {@code times}. */
    private interface Step {
        void run(HostLoad load, List<Long> times) throws Exception;
    }

    /**
     * Runs {@code step} under {@value #CLIENTS} clients on {@code app}'s domain, once the load has had
     * 100 answers; logs the scenario's figure line and checks that no request failed, also when the
     * step itself fails (its error then carries the load's failures).
     */
    private HostLoad.Result underLoad(String proxy, String scenario, String app, String timesAre, Step step)
            throws Exception {
        HostLoad load = HostLoad.start(port, app + ".test", CLIENTS, LOAD_MAX);
        List<Long> times = new CopyOnWriteArrayList<>();
        HostLoad.Result result;
        try {
            await().atMost(WAIT).until(() -> load.okSoFar() > 100);
            step.run(load, times);
        } catch (Exception | AssertionError e) {
            result = load.stop();
            figure(proxy, scenario, result, timesAre, times);
            e.addSuppressed(new AssertionError("meanwhile " + result.failed() + " request(s) failed, "
                    + result.ok() + " succeeded; the first: " + result.failures().stream().limit(5).toList()));
            throw e;
        }
        result = load.stop();
        figure(proxy, scenario, result, timesAre, times);
        assertThat(result.failed()).as("failed requests (%d ok); the first: %s", result.ok(),
                result.failures().stream().limit(5).toList()).isZero();
        assertThat(result.ok()).isGreaterThan(200);
        return result;
    }

    private static void figure(String proxy, String scenario, HostLoad.Result r, String timesAre, List<Long> times) {
        LOG.info("ZeroFailIT figure: router={} scenario='{}' clients={} ok={} failed={} {} {}", proxy, scenario,
                CLIENTS, r.ok(), r.failed(), timesAre, times);
    }
}
