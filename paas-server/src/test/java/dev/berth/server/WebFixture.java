// What the web page's ITs share: a real platform (process backend) with an app "web" of busybox httpd instances behind a real server.
package dev.berth.server;

import static org.awaitility.Awaitility.await;

import dev.berth.api.DeployRecord;
import dev.berth.api.InstanceState;
import dev.berth.core.Manifests;
import dev.berth.core.Platform;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The app "web": busybox httpd instances that take {@value #READY_AFTER_SECONDS} s to listen, so a
 * new instance is seen RUNNING before HEALTHY; each writes a log line with markup in it.
 */
final class WebFixture implements AutoCloseable {
    static final String ADMIN = "admin-token-0123456789";
    static final String DEPLOY = "deploy-token-0123456789";
    static final String READ = "read-token-0123456789";
    static final String OTHER_APP = "deploy-other-token-0123456789";
    static final String SECRET = "s3cret-value-never-shown";
    static final int READY_AFTER_SECONDS = 3;

    final Platform platform;
    final ControlServer server;

    WebFixture(Path tmp) {
        platform = TestPlatforms.processes(tmp, 16, b -> b);
        server = ControlServer.builder().platform(platform).bind("127.0.0.1", 0).heartbeat(Duration.ofSeconds(1))
                .tokens(Tokens.parse(List.of("admin " + ADMIN, "deploy " + DEPLOY, "read " + READ,
                        "deploy " + OTHER_APP + " other"), "test"))
                .build();
    }

    /** Deploys "web" with {@code instances} instances and {@code GREETING=greeting}; waits for the rollout's end. */
    String deploy(int instances, String greeting) {
        Map<String, Object> spec = Map.of(
                "command", List.of("sh", "-c", "echo '<script>alert(1)</script>' started $BERTH_INSTANCE_ID; sleep "
                        + READY_AFTER_SECONDS + "; echo hello > index.html; exec busybox httpd -f -p 127.0.0.1:$PORT -h ."),
                "env", Map.of("GREETING", greeting, "SECRET", SECRET, "PORT", "RANDOM_PORT"),
                "instances", instances);
        String release = platform.deploy(Manifests.fromTree("web", spec)).release();
        awaitOutcome(release, DeployRecord.Outcome.SUCCEEDED);
        return release;
    }

    void awaitOutcome(String release, DeployRecord.Outcome outcome) {
        await().atMost(Duration.ofSeconds(90)).until(() -> platform.history("web").stream()
                .anyMatch(d -> d.release().equals(release) && d.outcome() == outcome));
    }

    /** How many of web's instances are in {@code state}. */
    long count(InstanceState state) {
        return platform.instances("web").stream().filter(i -> i.record().state() == state).count();
    }

    @Override
    public void close() {
        TestPlatforms.stop(server, platform);
    }
}
