// Serve --swarm: a manifest folder runs as services that Swarm places, routed by nginx; apps it cannot run are refused.
package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.backend.swarm.SwarmCluster;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeSwarmIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String DOMAIN = "hello.swarm.test";
    @TempDir
    Path tmp;
    private SwarmCluster swarm;
    private JavaMain serve;

    @AfterEach
    void down() throws Exception {
        if (serve != null) {
            serve.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        Path pid = tmp.resolve("state/router-nginx/nginx.pid");
        if (Files.exists(pid)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(ProcessHandle::destroy);
        }
        if (swarm != null) {
            swarm.close();
        }
    }

    private static String get(int port) throws Exception {
        return get(port, DOMAIN);
    }

    private static String get(int port, String host) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(text).startsWith("HTTP/1.1 200");
            return text.substring(text.indexOf("\r\n\r\n") + 4).strip();
        }
    }

    /** A directory holding a Dockerfile on the test image, serving a page. */
    private Path site() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("site"));
        Files.writeString(dir.resolve("Dockerfile"), "FROM " + SwarmCluster.IMAGE + "\nCOPY index.html /www/index.html\n");
        Files.writeString(dir.resolve("index.html"), "built by berth\n");
        return dir;
    }

    @Test
    void aManifestFolderRunsOnTheSwarmBehindNginxAndACommandWithoutAnImageIsRefused() throws Exception {
        swarm = SwarmCluster.start(tmp.resolve("swarm"));
        Path apps = Files.createDirectories(tmp.resolve("apps"));
        Files.writeString(apps.resolve("hello.yml"), """
                apps:
                  hello:
                    source: {image: "%s"}
                    command: [sh, -c, 'mkdir -p /www && echo "$BERTH_INSTANCE_ID" > /www/index.html && exec httpd -f -p $PORT -h /www']
                    env: {PORT: RANDOM_PORT}
                    instances: 3
                    routing: {domains: [%s]}
                  site:
                    source: {directory: %s}
                    command: [sh, -c, 'exec httpd -f -p $PORT -h /www']
                    env: {PORT: RANDOM_PORT}
                    instances: 3
                    routing: {domains: [site.swarm.test]}
                """.formatted(SwarmCluster.IMAGE, DOMAIN, site()));
        int http = TestTools.freePort();
        List<String> args = new ArrayList<>(List.of("--manifests", apps.toString(), "--state",
                tmp.resolve("state").toString(), "--router", "nginx", "--http-port", Integer.toString(http),
                "--swarm", swarm.socket(1)));
        for (int n = 2; n <= 3; n++) { // the other nodes' engines, to load the site's image into (the manager builds it)
            args.addAll(List.of("--swarm-engine", swarm.docker(n, "info", "--format", "{{.Swarm.NodeID}}").strip() + "="
                    + swarm.socket(n)));
        }
        serve = new JavaMain(tmp.resolve("serve.out"), Serve.class, args.toArray(String[]::new));
        Set<String> ids = new TreeSet<>();
        try {
            await().atMost(WAIT).ignoreExceptions().until(() -> {
                for (int i = 0; i < 30; i++) {
                    ids.add(get(http));
                }
                return ids.size() == 3;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(String.join("\n", serve.lines()), e);
        }
        assertThat(ids).containsExactly("hello-1", "hello-2", "hello-3");
        await().atMost(WAIT).ignoreExceptions().until(() -> get(http, "site.swarm.test").equals("built by berth"));
        List<String> images = swarm.docker(3, "service", "ls", "--format", "{{.Name}} {{.Image}}").lines()
                .filter(l -> l.startsWith("berth-site-")).map(l -> l.substring(l.indexOf(' ') + 1)).distinct().toList();
        assertThat(images).as("the site's image, built by Berth, by id").singleElement().asString().startsWith("sha256:");
        assertThat(swarm.docker(3, "image", "inspect", "--format", "{{.RepoTags}}", images.get(0))).contains("berth/site:");
        assertThat(serve.count("run as services on the Docker Swarm of " + swarm.socket(1) + " (3 node(s)); Swarm places and "
                + "restarts them")).isEqualTo(1);
        assertThat(swarm.docker(1, "service", "inspect", "--format", "{{.Spec.TaskTemplate.RestartPolicy.Condition}} "
                + "{{.Spec.TaskTemplate.Placement.Constraints}}", "berth-hello-1").strip())
                .as("Swarm restarts and places it").isEqualTo("any []");
        assertThat(swarm.docker(2, "service", "ls", "--format", "{{.Name}}").lines().filter(l -> l.startsWith("berth-hello-"))
                .sorted().toList()).containsExactly("berth-hello-1", "berth-hello-2", "berth-hello-3");
        serve.terminate(); // the services keep running, nginx keeps serving
        assertThat(get(http)).startsWith("hello-");

        Files.writeString(apps.resolve("hello.yml"), """
                apps:
                  plain:
                    command: [sleep, "60"]
                """);
        JavaMain refused = new JavaMain(tmp.resolve("refused.out"), Serve.class, "--manifests", apps.toString(), "--state",
                tmp.resolve("state2").toString(), "--router", "none", "--swarm", swarm.socket(1));
        assertThat(refused.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(refused.process.exitValue()).isEqualTo(2);
        assertThat(String.join("\n", refused.lines())).contains("app 'plain': --swarm runs images: give the app source.image, or a directory (or git push) holding a Dockerfile")
                .contains("nothing was changed");
        JavaMain both = new JavaMain(tmp.resolve("both.out"), Serve.class, "--manifests", apps.toString(), "--state",
                tmp.resolve("state3").toString(), "--router", "none", "--swarm", swarm.socket(1), "--docker");
        assertThat(both.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(String.join("\n", both.lines())).contains("--swarm cannot go with --docker");
    }
}
