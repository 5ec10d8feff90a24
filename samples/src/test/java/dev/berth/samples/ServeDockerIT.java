// Serve --docker end to end: a pushed Dockerfile runs as containers behind nginx, and a restarted Serve adopts them.
package dev.berth.samples;

import static dev.berth.samples.TestTools.docker;
import static dev.berth.samples.TestTools.words;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.backend.docker.DockerBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Serve with {@code --docker} on the real dockerd, the real nginx and the real git CLI: an app of
 * the manifest folder follows its repository on Serve's git server; a push of a Dockerfile
 * ({@code FROM scratch} with Debian's static busybox {@code httpd}) is built into an image and runs
 * as containers whose domain answers through nginx; a Serve stopped and started again adopts the
 * same containers instead of starting new ones. A daemon that does not answer refuses the start
 * with a hint and leaves nothing behind.
 */
class ServeDockerIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String APP = "dockserve";
    private static final String DOMAIN = "dockserve.test";
    private static final String PASSWORD = "thresher";
    private static final String OTHER = "dockother";

    @TempDir
    Path tmp;

    @AfterEach
    void cleanUp() throws Exception {
        for (String app : List.of(APP, OTHER)) {
            for (String c : words(docker("ps", "-aq", "--filter", "label=" + DockerBackend.APP + "=" + app))) {
                docker("rm", "-f", c);
            }
        }
        for (String image : words(docker("images", "-q", "berth/" + APP))) {
            docker("rmi", "-f", image);
        }
        Path pid = tmp.resolve("state/router-nginx/nginx.pid"); // an nginx left serving by Serve
        if (Files.exists(pid)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(ProcessHandle::destroy);
        }
    }

    @Test
    void aPushedDockerfileRunsAsContainersBehindNginxAndARestartedServeAdoptsThem() throws Exception {
        Path apps = Files.createDirectories(tmp.resolve("apps"));
        Files.writeString(apps.resolve("dockserve.yml"), """
                apps:
                  dockserve:
                    source: {git: {repository: dockserve}}
                    env: {PORT: RANDOM_PORT}
                    instances: 2
                    resources: {cpu: 0.2, memoryMb: 32}
                    routing: {domains: [dockserve.test]}
                    healthCheck: {type: http, path: /health, interval: 500ms, timeout: 500ms}
                """);
        int port = TestTools.freePort();
        int gitPort = TestTools.freePort();
        String[] args = {"--manifests", apps.toString(), "--state", tmp.resolve("state").toString(), "--docker",
                "--router", "nginx", "--http-port", Integer.toString(port), "--git-port", Integer.toString(gitPort)};
        GitCli git = new GitCli(tmp);
        Path repo = DockerQuickstart.helloImage(tmp.resolve("repo"), "v1");
        git.run(repo, false, "init", "-q");
        git.run(repo, false, "add", "-A");
        git.run(repo, false, "commit", "-q", "-m", "v1");

        List<String> containers;
        try (JavaMain serve = new JavaMain(Map.of("MASTER_PASS", PASSWORD), tmp.resolve("serve1.out"), Serve.class, args)) {
            until(serve, () -> serve.count("git server on port " + gitPort) == 1);
            assertThat(serve.count("the apps run as containers on the Docker Engine at unix:///var/run/docker.sock "
                    + "(node " + ServeBackends.dockerNode(tmp.resolve("state")) + ", ")).isEqualTo(1);
            git.run(repo, false, "push", "-q", "http://git:" + PASSWORD + "@127.0.0.1:" + gitPort + "/" + APP, "main");

            until(serve, () -> HostLoad.hello(port, DOMAIN).startsWith(APP + "-"));
            until(serve, () -> serve.count(": healthy") >= 2);
            containers = running();
            assertThat(containers).hasSize(2);
            assertThat(serve.all("started, container ([0-9a-f]{12})")).containsAll(shortIds(containers));
            assertThat(serve.count("build: ")).as("the image build's output is printed").isPositive();
            assertThat(docker("inspect", "-f", "{{.Config.Image}}", containers.get(0))).startsWith("berth/" + APP + ":");
            serve.terminate();
            assertThat(serve.count("Serve: leaving the instances")).isEqualTo(1);
        }
        assertThat(running()).as("containers outlive Serve").containsExactlyInAnyOrderElementsOf(containers);

        try (JavaMain again = new JavaMain(Map.of("MASTER_PASS", PASSWORD), tmp.resolve("serve2.out"), Serve.class, args)) {
            until(again, () -> again.count("adopted, still running as container") == 2);
            assertThat(again.all("adopted, still running as container ([0-9a-f]{12})"))
                    .containsExactlyInAnyOrderElementsOf(shortIds(containers));
            until(again, () -> HostLoad.hello(port, DOMAIN).startsWith(APP + "-"));
            assertThat(again.count("started, container")).isZero();
            assertThat(running()).containsExactlyInAnyOrderElementsOf(containers);

            // Another Serve (its own --state) on the same engine runs the built image as an image source,
            // and neither adopts nor stops this Serve's containers.
            String image = docker("inspect", "-f", "{{.Config.Image}}", containers.get(0));
            Path otherApps = Files.createDirectories(tmp.resolve("other-apps"));
            Files.writeString(otherApps.resolve("other.yml"), """
                    apps:
                      %s:
                        source: {image: "%s"}
                        env: {PORT: RANDOM_PORT}
                        healthCheck: {type: http, path: /health, interval: 500ms, timeout: 500ms}
                    """.formatted(OTHER, image));
            try (JavaMain other = new JavaMain(tmp.resolve("other.out"), Serve.class, "--manifests", otherApps.toString(),
                    "--state", tmp.resolve("other-state").toString(), "--docker", "--router", "none", "--stop-on-exit")) {
                until(other, () -> other.count(OTHER + "-1: healthy") == 1);
                assertThat(other.count("adopted")).isZero();
                assertThat(other.count("nothing wants it")).isZero();
                // a manifest added while it runs is checked as at start: setup has no meaning for a container
                Files.writeString(otherApps.resolve("bad.yml"), """
                        apps:
                          dockbad:
                            source: {image: "%s"}
                            setup: [make]
                        """.formatted(image));
                until(other, () -> other.count("reload refused") == 1);
                assertThat(String.join("\n", other.lines())).contains("app 'dockbad': setup is not allowed with --docker");
                other.terminate();
            }
            assertThat(running()).containsExactlyInAnyOrderElementsOf(containers);
            assertThat(again.count(": exited")).isZero();
            again.terminate();
        }
    }

    @Test
    void aDockerDaemonThatDoesNotAnswerRefusesTheStartAndChangesNothing() throws Exception {
        Path apps = Files.createDirectories(tmp.resolve("apps"));
        Files.writeString(apps.resolve("web.yml"), """
                apps:
                  web:
                    source: {image: "berth-test/none:1"}
                    env: {PORT: RANDOM_PORT}
                """);
        String nowhere = "unix://" + tmp.resolve("no-docker.sock");
        try (JavaMain serve = new JavaMain(tmp.resolve("serve.out"), Serve.class, "--manifests", apps.toString(),
                "--state", tmp.resolve("state").toString(), "--router", "none", "--docker", nowhere)) {
            assertThat(serve.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String out = String.join("\n", serve.lines());
            assertThat(serve.process.exitValue()).as(out).isEqualTo(2);
            assertThat(out).contains("--docker " + nowhere + ": the Docker daemon does not answer")
                    .contains("sudo systemctl start docker").contains("nothing was changed");
        }
        assertThat(tmp.resolve("state")).doesNotExist();
    }

    /** Waits for {@code condition} while Serve runs; fails with Serve's last lines when it ends or times out. */
    private static void until(JavaMain serve, Callable<Boolean> condition) {
        try {
            await().atMost(WAIT).ignoreExceptions().until(() -> !serve.process.isAlive() || condition.call());
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("timed out; Serve's last lines:\n" + tail(serve), e);
        }
        assertThat(serve.process.isAlive()).as("Serve still runs; its last lines:\n%s", tail(serve)).isTrue();
    }

    private static String tail(JavaMain serve) {
        List<String> lines = serve.lines();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    }

    /** The ids of this app's running containers. */
    private static List<String> running() throws Exception {
        return words(docker("ps", "-q", "--no-trunc", "--filter", "label=" + DockerBackend.APP + "=" + APP));
    }

    private static List<String> shortIds(List<String> ids) {
        List<String> out = new ArrayList<>();
        ids.forEach(id -> out.add(id.substring(0, 12)));
        return out;
    }
}
