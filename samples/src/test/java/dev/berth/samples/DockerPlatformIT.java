package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.berth.samples.TestTools.docker;
import static dev.berth.samples.TestTools.words;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.HealthCheck;
import dev.berth.api.InstanceInfo;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.api.Routing;
import dev.berth.api.Source;
import dev.berth.api.UpdateStrategy;
import dev.berth.backend.docker.DockerBackend;
import dev.berth.core.Platform;
import dev.berth.router.nginx.NginxRouter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The platform on a real Docker Engine, through nginx: code arrives by {@code git push} with a
 * Dockerfile and each release is built into an image (its build output as events); the
 * instance-control API (info, environment, kill, remove, hostnames); a container killed from
 * outside is respawned; a v2 push rolls out under load without a failed request; a restarted
 * platform adopts the same containers.
 */
class DockerPlatformIT {
    private static final Logger LOG = LoggerFactory.getLogger(DockerPlatformIT.class);
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String APP = "dockweb";
    private static final String DOMAIN = "dock.test";
    private static final String PASSWORD = "hammerhead";

    @TempDir
    Path tmp;

    private final List<Platform> platforms = new ArrayList<>();
    private final List<PlatformEvent> events = new CopyOnWriteArrayList<>();
    private int httpPort;

    @AfterEach
    void cleanUp() throws Exception {
        try {
            if (!platforms.isEmpty()) {
                Platform last = platforms.get(platforms.size() - 1);
                last.stopAll(WAIT);
            }
        } finally {
            platforms.forEach(Platform::close);
            for (String c : words(docker("ps", "-aq", "--filter", "label=" + DockerBackend.APP + "=" + APP))) {
                docker("rm", "-f", c);
            }
            for (String image : words(docker("images", "-q", "berth/" + APP))) {
                docker("rmi", "-f", image);
            }
        }
    }

    private Platform platform(int gitPort) {
        DockerBackend docker = DockerBackend.builder().build();
        Platform p = Platform.builder()
                .node(docker.nodeSpec())
                .backend(docker)
                .router(NginxRouter.builder().prefix(tmp.resolve("nginx")).httpPort(httpPort).build())
                .stateDir(tmp.resolve("state"))
                .gitServer(gitPort, PASSWORD)
                .listener(events::add)
                .build();
        platforms.add(p);
        return p;
    }

    @Test
    void gitPushedDockerfilesRunAsContainersUnderTheInstanceControlApi() throws Exception {
        httpPort = TestTools.freePort();
        Platform platform = platform(0);
        int gitPort = platform.gitPort().orElseThrow();
        GitCli git = new GitCli(tmp);
        Path repo = DockerQuickstart.helloImage(tmp.resolve("repo"), "v1");
        git.run(repo, false, "init", "-q");
        git.run(repo, false, "add", "-A");
        git.run(repo, false, "commit", "-q", "-m", "v1");
        String remote = "http://git:" + PASSWORD + "@127.0.0.1:" + gitPort + "/" + APP;
        git.run(repo, false, "push", "-q", remote, "main");

        platform.deploy(AppSpec.builder(APP)
                .source(Source.gitFollowing(APP))
                .env("PORT", AppSpec.RANDOM_PORT)
                .instances(3)
                .resources(Resources.builder().cpu(0.2).memoryMb(32).build())
                .routing(Routing.of(DOMAIN))
                .healthCheck(HealthCheck.http("/health").withTimings(Duration.ofMillis(500), Duration.ofMillis(500)))
                .update(UpdateStrategy.defaults().withDeadline(Duration.ofSeconds(60)))
                .build());
        await().atMost(WAIT).until(() -> healthy(platform) == 3);
        String r1 = platform.app(APP).release();
        await().atMost(WAIT).ignoreExceptions().until(() -> HostLoad.hello(httpPort, DOMAIN).endsWith(" " + r1));

        // The release was built into an image from the pushed Dockerfile, its output told as events.
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.BuildOutput b && b.release().equals(r1))
                .extracting(e -> ((PlatformEvent.BuildOutput) e).line())
                .anyMatch(l -> l.contains("COPY hello.sh /hello.sh"));
        String id = platform.instances(APP).get(0).id();
        InstanceInfo info = platform.info(id);
        assertThat(info.backend().get("image")).matches("berth/" + APP + ":" + r1 + "-[0-9a-f]{8}");
        assertThat(info.backend()).containsEntry("container.id", info.record().handle())
                .containsEntry("memory.limit.bytes", Long.toString(32L * 1024 * 1024)).containsEntry("status", "running");
        assertThat(platform.environment(id)).containsEntry("VERSION", "v1").containsEntry("BERTH_INSTANCE_ID", id)
                .containsKey("PORT");

        // A hostname added or removed changes the router only.
        Map<String, String> containers = containers(platform);
        platform.addHostname(APP, "dock2.test");
        await().atMost(WAIT).ignoreExceptions().until(() -> HostLoad.hello(httpPort, "dock2.test").startsWith(APP));
        platform.removeHostname(APP, "dock2.test");
        await().atMost(WAIT).until(() -> {
            try {
                HostLoad.hello(httpPort, "dock2.test");
                return false;
            } catch (IOException e) {
                return e.getMessage().contains("404");
            }
        });
        assertThat(containers(platform)).isEqualTo(containers);

        // A container killed from outside is seen through the event stream and respawned.
        String victim = containers.get(id);
        docker("kill", victim);
        await().atMost(WAIT).until(() -> healthy(platform) == 3 && !containers(platform).get(id).equals(victim));

        // One instance removed for good: the app keeps 2, nothing replaces it.
        String removed = platform.instances(APP).get(2).id();
        platform.instance(removed).remove();
        await().atMost(WAIT).until(() -> platform.instances(APP).size() == 2 && healthy(platform) == 2);
        assertThat(platform.app(APP).spec().instances().count()).isEqualTo(2);
        assertThat(docker("ps", "-q", "--filter", "label=" + DockerBackend.INSTANCE + "=" + removed)).isBlank();

        // v2 by git push, rolled out under load: no failed request, the answers switch.
        DockerQuickstart.helloImage(repo, "v2");
        git.run(repo, false, "commit", "-q", "-am", "v2");
        HostLoad load = HostLoad.start(httpPort, DOMAIN, 8, Duration.ofSeconds(40));
        await().atMost(WAIT).until(() -> load.okSoFar() > 100);
        git.run(repo, false, "push", "-q", remote, "main");
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e instanceof PlatformEvent.DeploySucceeded d
                && !d.release().equals(r1)));
        HostLoad.Result v2 = load.stop();
        String r2 = platform.app(APP).release();
        LOG.info("v2 on Docker: {} ok, {} failed; answers {}", v2.ok(), v2.failed(), v2.bodies());
        assertThat(v2.failures()).as("failed requests while v2 rolled out").isEmpty();
        assertThat(v2.bodies().keySet()).anyMatch(k -> k.endsWith(" " + r1)).anyMatch(k -> k.endsWith(" " + r2));
        assertThat(platform.environment(platform.instances(APP).get(0).id())).containsEntry("VERSION", "v2");

        // A restarted platform adopts the same containers.
        Map<String, String> before = containers(platform);
        platform.close();
        events.clear();
        Platform again = platform(0);
        await().atMost(WAIT).until(() -> healthy(again) == 2);
        assertThat(containers(again)).isEqualTo(before);
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.InstanceAdopted).hasSize(2);
        assertThat(events).noneMatch(e -> e instanceof PlatformEvent.InstanceStarted);
    }

    private static long healthy(Platform p) {
        return p.instances(APP).stream().filter(i -> i.record().state() == InstanceState.HEALTHY).count();
    }

    /** Instance id to container id, for the live instances. */
    private static Map<String, String> containers(Platform p) {
        return p.app(APP).records().stream().filter(r -> r.handle() != null)
                .collect(Collectors.toMap(InstanceRecord::id, InstanceRecord::handle));
    }
}
