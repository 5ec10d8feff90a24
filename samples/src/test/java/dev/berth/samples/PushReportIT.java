package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.api.Routing;
import dev.berth.api.Source;
import dev.berth.api.UpdateStrategy;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import dev.berth.core.PlatformBuilder;
import dev.berth.router.nginx.NginxRouter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A newcomer's pushes, end to end with the real git CLI, the git server, local processes and nginx:
 * before the first push the app runs nothing and its domain answers 503 "not deployed yet"; a good
 * push prints the progress and "is live" and succeeds; a commit with a Python SyntaxError fails the
 * push with the reason and the instance's last output lines (the app's secret masked), the branch
 * stays and the previous release serves on. With {@code gitPushWaits(false)} the push returns at once.
 */
class PushReportIT {
    private static final Logger LOG = LoggerFactory.getLogger(PushReportIT.class);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String DOMAIN = "py.test";
    private static final String PASSWORD = "shortfin";
    private static final String TOKEN = "tok-8f3a9c2e77d1";

    @TempDir
    Path tmp;

    private Platform platform;

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

    private Platform platform(int httpPort, boolean waits) {
        PlatformBuilder b = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(8).build()))
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .stateDir(tmp.resolve("state"))
                .gitServer(0, PASSWORD)
                .gitPushWaits(waits);
        if (httpPort > 0) {
            b.router(NginxRouter.builder().prefix(tmp.resolve("nginx")).httpPort(httpPort).build());
        }
        return b.build();
    }

    private static AppSpec app() {
        // the command prints the secret on every start: what the push shows of the output must mask it
        return AppSpec.builder("pyapp").source(Source.gitFollowing("pyapp"))
                .command("/bin/sh", "-c", "echo \"starting with token $API_TOKEN\"; exec " + PyHello.PYTHON + " hello.py")
                .env("PORT", AppSpec.RANDOM_PORT).env("API_TOKEN", TOKEN)
                .instances(2).resources(Resources.builder().cpu(1).build())
                .routing(Routing.of(DOMAIN))
                .update(UpdateStrategy.defaults().withDeadline(Duration.ofSeconds(20)))
                .build();
    }

    private String commit(GitCli git, Path repo, String source, String message) throws Exception {
        Files.writeString(repo.resolve("hello.py"), source);
        git.run(repo, false, "add", "hello.py");
        git.run(repo, false, "commit", "-q", "-m", message);
        return git.run(repo, false, "rev-parse", "HEAD").lines().findFirst().orElseThrow().trim();
    }

    @Test
    void pushesReportTheDeployAndABrokenCommitFailsThePush() throws Exception {
        int port = TestTools.freePort();
        platform = platform(port, true);
        String url = "http://git:" + PASSWORD + "@127.0.0.1:" + platform.gitPort().orElseThrow() + "/pyapp";
        GitCli git = new GitCli(tmp);
        Path repo = Files.createDirectories(tmp.resolve("pyapp"));
        git.run(repo, false, "init", "-q");

        // declared before any push: no instance, no process in an empty directory, 503 "not deployed yet"
        platform.deploy(app());
        await().atMost(WAIT).ignoreExceptions().until(() -> get(port, DOMAIN).startsWith("HTTP/1.1 503"));
        Thread.sleep(1500); // a few passes of the control loop: still nothing may run
        assertThat(platform.instances("pyapp")).isEmpty();
        assertThat(get(port, DOMAIN)).contains("app pyapp is not deployed yet: git push to deploy it.");
        try (Stream<Path> files = Files.walk(tmp.resolve("instances")).filter(p -> p.toString().contains("pyapp"))) {
            assertThat(files).isEmpty();
        } catch (java.nio.file.NoSuchFileException e) {
            LOG.info("no instances directory yet: nothing ever ran");
        }

        // a good push: the deploy streams back, the push returns once the release is live
        String good = commit(git, repo, PyHello.source("v1"), "v1");
        long t0 = System.nanoTime();
        String first = git.run(repo, false, "push", url, "main");
        LOG.info("first push took {} ms:\n{}", (System.nanoTime() - t0) / 1_000_000, first);
        assertThat(first).contains("remote: berth: app pyapp: deploying " + good.substring(0, 7) + " as release r2-")
                // progress once per pass of the loop: instances healthy between two passes are reported together
                .containsPattern("remote: berth: [01] of 2 instances healthy").contains("remote: berth: 2 of 2 instances healthy")
                .containsPattern("remote: berth: release r2-[a-z0-9]+ is live on 2 instances").contains("exit 0");
        assertThat(HostLoad.hello(port, DOMAIN)).contains("v1");

        // a broken commit: the push fails with the reason and the SyntaxError, v1 serves on, the branch stays
        String broken = commit(git, repo, "print('broken'\n", "broken");
        t0 = System.nanoTime();
        String second = git.run(repo, true, "push", url, "main");
        LOG.info("broken push took {} ms:\n{}", (System.nanoTime() - t0) / 1_000_000, second);
        assertThat(second).contains("remote: berth: app pyapp: deploying " + broken.substring(0, 7) + " as release r3-")
                .contains("remote: berth: instance pyapp-").contains("exited: exited with 1")
                .containsPattern("remote: berth: release r3-[a-z0-9]+ was rolled back \\(back to r2-")
                .contains("output:").contains("SyntaxError").contains("starting with token ***")
                .contains("[remote rejected] main -> main (release r3-").doesNotContain(TOKEN).doesNotContain("exit 0");
        assertThat(HostLoad.hello(port, DOMAIN)).contains("v1");
        assertThat(git.run(repo, false, "ls-remote", url, "refs/heads/main")).startsWith(good);
    }

    @Test
    void withoutWaitingThePushReturnsOnceTheDeployIsAccepted() throws Exception {
        platform = platform(0, false);
        String url = "http://git:" + PASSWORD + "@127.0.0.1:" + platform.gitPort().orElseThrow() + "/pyapp";
        GitCli git = new GitCli(tmp);
        Path repo = Files.createDirectories(tmp.resolve("pyapp"));
        git.run(repo, false, "init", "-q");
        platform.deploy(app());
        String broken = commit(git, repo, "print('broken'\n", "broken");
        String out = git.run(repo, false, "push", url, "main");
        assertThat(out).containsPattern("remote: berth: app pyapp: release r2-[a-z0-9]+ of " + broken.substring(0, 7)
                + " accepted; it rolls out now \\(the push does not wait for it\\)").contains("exit 0")
                .doesNotContain("rolled back");
        assertThat(git.run(repo, false, "ls-remote", url, "refs/heads/main")).startsWith(broken);
    }

    /** One GET / with that Host header; the whole answer, status line first. */
    private static String get(int port, String host) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readNBytes(65536), StandardCharsets.UTF_8);
        }
    }
}
