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
import dev.berth.api.Source;
import dev.berth.api.UpdateStrategy;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import dev.berth.router.nginx.NginxRouter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * git push to deploy, end to end: the real git CLI pushes a small Java app to the platform's git
 * server; each push to main rolls it out through nginx under a bounded load with no failed
 * request; a broken push is rolled back; rollback goes back a release; a wrong password leaves
 * no trace; setup (javac) runs once per release.
 */
class GitPushIT {
    private static final Logger LOG = LoggerFactory.getLogger(GitPushIT.class);
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String DOMAIN = "beep.test";
    private static final String PASSWORD = "shortfin";

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

    private String git(Path dir, boolean mayFail, String... args) throws Exception {
        return new GitCli(tmp).run(dir, mayFail, args);
    }

    private void commit(Path repo, String version, int health) throws Exception {
        new GitCli(tmp).commitHello(repo, version, health);
    }

    private boolean allHealthyOn(String release) {
        return platform.instances("beep").size() == 4 && platform.instances("beep").stream()
                .allMatch(i -> i.record().release().equals(release) && i.record().state() == InstanceState.HEALTHY);
    }

    private String releaseAfter(int deploys) {
        await().atMost(WAIT).until(() -> events.stream().filter(e -> e instanceof PlatformEvent.DeployStarted).count() >= deploys);
        return events.stream().filter(e -> e instanceof PlatformEvent.DeployStarted)
                .map(e -> ((PlatformEvent.DeployStarted) e).release()).skip(deploys - 1).findFirst().orElseThrow();
    }


    @Test
    void pushesDeployThroughRollingUpdatesWithoutAFailedRequest() throws Exception {
        int port = TestTools.freePort();
        platform = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(8).build()))
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .router(NginxRouter.builder().prefix(tmp.resolve("nginx")).httpPort(port).build())
                .stateDir(tmp.resolve("state"))
                .gitServer(0, PASSWORD)
                .listener(events::add)
                .build();
        int gitPort = platform.gitPort().orElseThrow();
        Path repo = Files.createDirectories(tmp.resolve("beep"));
        git(repo, false, "init", "-q");
        commit(repo, "v1", 200);

        // a wrong password is refused and leaves no trace
        String refused = git(repo, true, "push", "http://git:wrong@127.0.0.1:" + gitPort + "/beep", "main");
        assertThat(refused).contains("Authentication failed").doesNotContain("exit 0");
        assertThat(tmp.resolve("state/git/beep.git")).doesNotExist();

        // the first push stores the code; the app that follows the repository then runs it
        String first = git(repo, false, "push", "http://git:" + PASSWORD + "@127.0.0.1:" + gitPort + "/beep", "main");
        assertThat(first).contains("no app follows repository 'beep' yet");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String javac = Path.of(System.getProperty("java.home"), "bin", "javac").toString();
        platform.deploy(AppSpec.builder("beep")
                .source(Source.gitFollowing("beep"))
                .setup(javac, "-d", "classes", "Hello.java")
                .command(java, "-Xmx48m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", "classes", "Hello")
                .env("PORT", AppSpec.RANDOM_PORT)
                .instances(4)
                .resources(Resources.builder().cpu(1).build())
                .routing(Routing.of(DOMAIN))
                .healthCheck(HealthCheck.http("/health").withTimings(Duration.ofMillis(500), Duration.ofMillis(500)))
                .update(UpdateStrategy.defaults().withDeadline(Duration.ofSeconds(15)))
                .build());
        String r1 = releaseAfter(1);
        await().atMost(WAIT).until(() -> allHealthyOn(r1));
        await().atMost(WAIT).ignoreExceptions().until(() -> HostLoad.hello(port, DOMAIN).endsWith(" v1"));
        // live means routed: it succeeds once nginx serves all four (a rollback can then return to it)
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e instanceof PlatformEvent.DeploySucceeded d
                && d.release().equals(r1)));

        // push v2 under load: 0 failed requests, the answers switch from v1 to v2
        commit(repo, "v2", 200);
        HostLoad load = HostLoad.start(port, DOMAIN, 24, Duration.ofSeconds(40));
        await().atMost(WAIT).until(() -> load.okSoFar() > 200);
        Instant pushed = Instant.now(); // the push deploys before git returns: time it from the start
        git(repo, false, "push", "-q", "http://git:" + PASSWORD + "@127.0.0.1:" + gitPort + "/beep", "main");
        String r2 = releaseAfter(2);
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e instanceof PlatformEvent.DeploySucceeded d
                && d.release().equals(r2)));
        HostLoad.Result v2 = load.stop();
        LOG.info("v2: {} ok, {} failed; answers {}", v2.ok(), v2.failed(), v2.bodies());
        assertThat(v2.failures()).as("failed requests while v2 rolled out").isEmpty();
        assertThat(v2.bodies().keySet()).anyMatch(k -> k.endsWith(" v1")).anyMatch(k -> k.endsWith(" v2"));
        logOverhead(pushed, r2);

        // setup ran once for each release, not once per instance
        assertThat(setupRuns(r1)).isEqualTo(1);
        assertThat(setupRuns(r2)).isEqualTo(1);

        // push v3, whose health check fails: rolled back at its deadline, v2 serving throughout
        commit(repo, "v3", 503);
        HostLoad load3 = HostLoad.start(port, DOMAIN, 24, Duration.ofSeconds(40));
        await().atMost(WAIT).until(() -> load3.okSoFar() > 200);
        // the push waits for the outcome: rolled back, it fails and says why (the branch stays on v2)
        String pushed3 = git(repo, true, "push", "-q", "http://git:" + PASSWORD + "@127.0.0.1:" + gitPort + "/beep", "main");
        String r3 = releaseAfter(3);
        assertThat(pushed3).contains("remote: berth: release " + r3 + " was rolled back")
                .contains("[remote rejected] main -> main (release " + r3 + " was rolled back").doesNotContain("exit 0");
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e instanceof PlatformEvent.DeployFailed f
                && f.release().equals(r3)));
        await().atMost(WAIT).until(() -> allHealthyOn(r2));
        HostLoad.Result v3 = load3.stop();
        LOG.info("v3: {} ok, {} failed; answers {}", v3.ok(), v3.failed(), v3.bodies());
        assertThat(v3.failures()).as("failed requests while v3 failed").isEmpty();
        assertThat(v3.bodies().keySet()).allMatch(k -> k.endsWith(" v2"));

        // rollback: back to the release before v2
        assertThat(platform.rollback("beep")).isEqualTo(r1);
        await().atMost(WAIT).until(() -> allHealthyOn(r1));
        await().atMost(WAIT).ignoreExceptions().until(() -> HostLoad.hello(port, DOMAIN).endsWith(" v1"));
        assertThat(platform.history("beep")).extracting(DeployRecord::outcome).containsExactly(
                DeployRecord.Outcome.SUCCEEDED, DeployRecord.Outcome.SUCCEEDED, DeployRecord.Outcome.ROLLED_BACK,
                DeployRecord.Outcome.SUCCEEDED);
        assertThat(platform.diskUsage("beep")).isPositive();

        // a push that does not compile: its setup fails, the release fails with javac's words, v1 serves on
        Files.writeString(repo.resolve("Hello.java"), "public class Hello { this does not compile }\n");
        git(repo, false, "commit", "-q", "-am", "broken");
        String pushed5 = git(repo, true, "push", "-q", "http://git:" + PASSWORD + "@127.0.0.1:" + gitPort + "/beep", "main");
        String r5 = releaseAfter(5);
        assertThat(pushed5).contains("remote: berth: [local] ").contains("error")
                .contains("[remote rejected] main -> main (release " + r5 + " was rolled back").doesNotContain("exit 0");
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e instanceof PlatformEvent.DeployFailed f
                && f.release().equals(r5)));
        PlatformEvent.DeployFailed broken = events.stream().filter(e -> e instanceof PlatformEvent.DeployFailed f
                && f.release().equals(r5)).map(e -> (PlatformEvent.DeployFailed) e).findFirst().orElseThrow();
        assertThat(broken.reason()).contains("setup").contains("error");
        assertThat(broken.rolledBackTo()).isEqualTo(r1);
        await().atMost(WAIT).until(() -> allHealthyOn(r1));
        assertThat(HostLoad.hello(port, DOMAIN)).endsWith(" v1");
    }

    /** How many times the setup of {@code release} ran, from the backend's setup log of that release. */
    private long setupRuns(String release) throws IOException {
        try (Stream<Path> files = Files.walk(tmp.resolve("instances"))) {
            List<Path> logs = files.filter(p -> p.getFileName().toString().equals("setup.log")
                    && p.getParent().getFileName().toString().equals(release)).toList();
            long runs = 0;
            for (Path log : logs) {
                runs += Files.readAllLines(log).stream().filter(l -> l.startsWith("# berth: setup of app")).count();
            }
            return runs;
        }
    }

    /**
     * Berth's own time from the push to every answer coming from the new release: the whole time,
     * from the start of {@code git push} (the push deploys before git returns), minus the app's
     * own (its setup, and its instances from start to healthy, which run in parallel).
     */
    private void logOverhead(Instant pushed, String release) {
        // all traffic goes to the new release once no old instance is routed any more
        Instant succeeded = events.stream().filter(e -> e instanceof PlatformEvent.TrafficSwitched d
                && d.release().equals(release)).map(PlatformEvent::at).findFirst().orElseThrow();
        Instant firstStarting = events.stream().filter(e -> e instanceof PlatformEvent.InstanceStarting s
                && !s.at().isBefore(pushed)).map(PlatformEvent::at).findFirst().orElseThrow();
        Instant lastHealthy = events.stream().filter(e -> e instanceof PlatformEvent.InstanceHealthy h
                && !h.at().isBefore(pushed) && !h.at().isAfter(succeeded)).map(PlatformEvent::at)
                .max(Instant::compareTo).orElseThrow();
        long total = Duration.between(pushed, succeeded).toMillis();
        long own = Duration.between(firstStarting, lastHealthy).toMillis();
        LOG.info("git push to all traffic on {}: {} ms; of which setup + start until healthy (the app's own, with "
                + "health checks every 500 ms) {} ms; git's transfer and Berth's own {} ms", release, total, own, total - own);
    }
}
