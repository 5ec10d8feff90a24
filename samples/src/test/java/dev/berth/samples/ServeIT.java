package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Serve on a folder of manifests: runs them, leaves them running, adopts them on restart. */
class ServeIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path tmp;

    private Path manifests() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("apps"));
        String argv = String.join(", ", Samples.javaCommand(HelloApp.class).stream().map(a -> "\"" + a + "\"").toList());
        Files.writeString(dir.resolve("hello.yml"), """
                apps:
                  hello:
                    command: [%s]
                    env: {PORT: RANDOM_PORT}
                    instances: 2
                    routing: {domains: [hello.test]}
                    healthCheck: {type: http, path: /health, interval: 500ms, timeout: 500ms}
                """.formatted(argv));
        return dir;
    }

    /** Instances the test saw, killed after it whatever happened. */
    private final SeenProcesses seen = new SeenProcesses();

    @AfterEach
    void killWhatWasSeen() throws InterruptedException {
        seen.killAll();
    }

    @Test
    void aServeKilledWithSigkillLeavesItsAppsAndNginxRunningAndTheNextAdoptsThemWithTheSamePids() throws Exception {
        Path apps = manifests();
        Path state = tmp.resolve("state");
        int port = TestTools.freePort();
        String[] routed = {"--router", "nginx", "--http-port", Integer.toString(port)};
        List<String> pids;
        long nginx;
        try (JavaMain serve = serve("serve1.out", apps, state, routed)) {
            await().atMost(WAIT).until(() -> serve.count(": healthy") == 2);
            pids = serve.all("started, pid (\\d+)");
            seen.addAll(pids);
            assertThat(pids).hasSize(2);
            await().atMost(WAIT).ignoreExceptions().until(() -> HostLoad.hello(port, "hello.test") != null);
            nginx = Long.parseLong(Files.readString(state.resolve("router-nginx/nginx.pid")).strip());
            seen.add(Long.toString(nginx));
            serve.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // kill -9: no shutdown hook runs
        }
        assertThat(pids).allMatch(JavaMain::alive);
        assertThat(HostLoad.hello(port, "hello.test")).startsWith("hello-"); // nginx still serves

        try (JavaMain again = serve("serve2.out", apps, state, routed)) {
            await().atMost(WAIT).until(() -> again.count(": healthy") == 2);
            assertThat(again.all("adopted, still running as pid (\\d+)")).containsExactlyInAnyOrderElementsOf(pids);
            assertThat(again.count("started, pid")).isZero();
            assertThat(again.count("adopted nginx " + nginx)).isEqualTo(1);
            assertThat(HostLoad.hello(port, "hello.test")).startsWith("hello-");
            again.terminate();
            assertThat(again.count("leaving the instances and nginx running")).isEqualTo(1);
        }
        assertThat(pids).allMatch(JavaMain::alive);
        assertThat(JavaMain.alive(Long.toString(nginx))).as("a Serve that stops leaves its nginx serving").isTrue();
        assertThat(HostLoad.hello(port, "hello.test")).startsWith("hello-");

        try (JavaMain third = serve("serve3.out", apps, state, "--router", "none", "--stop-on-exit")) {
            await().atMost(WAIT).until(() -> third.count(": healthy") == 2);
            assertThat(third.all("adopted, still running as pid (\\d+)")).containsExactlyInAnyOrderElementsOf(pids);
            third.terminate();
        }
        assertThat(pids).noneMatch(JavaMain::alive);
    }

    private JavaMain serve(String out, Path apps, Path state, String... more) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("--manifests", apps.toString(), "--state", state.toString()));
        args.addAll(List.of(more));
        return new JavaMain(tmp.resolve(out), Serve.class, args.toArray(String[]::new));
    }


    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nginx", "haproxy"})
    void aMakoManifestsDomainIsServedThroughTheRouterAtOnce(String proxy) throws Exception {
        Path apps = Files.createDirectories(tmp.resolve("mako"));
        String argv = String.join(", ", Samples.javaCommand(HelloApp.class).stream().map(a -> "\"" + a + "\"").toList());
        Files.writeString(apps.resolve("beep.json"), """
                {"beep": {"instances": 2, "routing": {"domain": "beep.test", "method": "least_conn"},
                  "opts": {"command": [%s], "env": {"PORT": "RANDOM_PORT"}}}}
                """.formatted(argv));
        int port = TestTools.freePort();
        int gitPort = TestTools.freePort();
        try (JavaMain serve = new JavaMain(Map.of("MASTER_PASS", "shortfin"), tmp.resolve("serve.out"), Serve.class,
                "--manifests", apps.toString(), "--state", tmp.resolve("state").toString(), "--router", proxy,
                "--http-port", Integer.toString(port), "--git-port", Integer.toString(gitPort), "--stop-on-exit")) {
            // without opts.commit the app follows its repository: before the first push nothing runs
            // and the domain says so
            await().atMost(WAIT).ignoreExceptions().until(() -> raw(port, "beep.test").contains(
                    "503 Service Unavailable: app beep is not deployed yet: git push to deploy it."));
            assertThat(serve.count("started, pid")).isZero();
            GitCli git = new GitCli(tmp);
            Path repo = Files.createDirectories(tmp.resolve("beep"));
            git.run(repo, false, "init", "-q");
            Files.writeString(repo.resolve("README.md"), "the app's command brings its own code\n");
            git.run(repo, false, "add", "README.md");
            git.run(repo, false, "commit", "-q", "-m", "first");
            String pushed = git.run(repo, false, "push", "http://git:shortfin@127.0.0.1:" + gitPort + "/beep", "HEAD:master");
            assertThat(pushed).containsPattern("remote: berth: release r2-[a-z0-9]+ is live on 2 instances");
            await().atMost(WAIT).until(() -> serve.count(": healthy") == 2);
            seen.addAll(serve.all("started, pid (\\d+)"));
            assertThat(serve.count(proxy + " routes the apps' domains on http://127.0.0.1:" + port)).isEqualTo(1);
            java.util.Set<String> answering = new java.util.HashSet<>();
            await().atMost(WAIT).ignoreExceptions().until(() -> {
                answering.add(HostLoad.hello(port, "beep.test"));
                return answering.size() == 2;
            });
            serve.terminate();
        }
        // Serve stopped its proxy with it.
        assertThatThrownBy(() -> HostLoad.hello(port, "beep.test")).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void aGitPushToServeIsServedThroughNginxAndEveryPushDeploys() throws Exception {
        Path apps = Files.createDirectories(tmp.resolve("mako"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String javac = Path.of(System.getProperty("java.home"), "bin", "javac").toString();
        Files.writeString(apps.resolve("beep.json"), """
                {"beep": {"instances": 2, "routing": {"domain": "beep.test"},
                  "opts": {"setup": ["%s", "-d", "classes", "Hello.java"],
                           "command": ["%s", "-Xmx48m", "-cp", "classes", "Hello"], "env": {"PORT": "RANDOM_PORT"}}}}
                """.formatted(javac, java));
        int port = TestTools.freePort();
        int gitPort = TestTools.freePort();
        GitCli git = new GitCli(tmp);
        Path repo = Files.createDirectories(tmp.resolve("beep"));
        git.run(repo, false, "init", "-q");
        try (JavaMain serve = new JavaMain(Map.of("MASTER_PASS", "shortfin"), tmp.resolve("serve.out"), Serve.class,
                "--manifests", apps.toString(), "--state", tmp.resolve("state").toString(), "--router", "nginx",
                "--http-port", Integer.toString(port), "--git-port", Integer.toString(gitPort), "--stop-on-exit")) {
            await().atMost(WAIT).until(() -> serve.count("git server on port " + gitPort) == 1);
            for (String version : List.of("v1", "v2")) {
                git.commitHello(repo, version, 200);
                git.run(repo, false, "push", "-q", "http://git:shortfin@127.0.0.1:" + gitPort + "/beep", "HEAD:master"); // Mako pushes master
                await().atMost(WAIT).ignoreExceptions().until(() -> HostLoad.hello(port, "beep.test").endsWith(" " + version));
            }
            seen.addAll(serve.all("started, pid (\\d+)"));
            serve.terminate();
        }
    }

    @Test
    void aGitPortWithoutMasterPassIsRefused() throws Exception {
        try (JavaMain serve = new JavaMain(tmp.resolve("serve.out"), Serve.class, "--manifests", manifests().toString(),
                "--state", tmp.resolve("s").toString(), "--router", "none", "--git-port", "4001")) {
            assertThat(serve.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(serve.process.exitValue()).isEqualTo(2);
            await().atMost(WAIT).until(() -> serve.count("nothing was changed") == 1);
            assertThat(serve.count("--git-port needs a password in the MASTER_PASS environment variable")).isEqualTo(1);
        }
        assertThat(tmp.resolve("s")).doesNotExist();
    }

    @Test
    void anUnknownRouterIsRefusedAndNothingChanges() throws Exception {
        try (JavaMain serve = new JavaMain(tmp.resolve("serve.out"), Serve.class, "--manifests", manifests().toString(),
                "--state", tmp.resolve("s").toString(), "--router", "varnish")) {
            assertThat(serve.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(serve.process.exitValue()).isEqualTo(2);
            await().atMost(WAIT).until(() -> serve.count("nothing was changed") == 1);
            assertThat(String.join("\n", serve.lines())).contains("--router: 'varnish' is not allowed; use nginx, haproxy or none");
        }
        assertThat(tmp.resolve("s")).doesNotExist();
    }

    @Test
    void aManifestPinningACommitThatWasNeverPushedIsRefusedAndNothingChanges() throws Exception {
        Path apps = Files.createDirectories(tmp.resolve("mako"));
        Files.writeString(apps.resolve("beep.json"), """
                {"beep": {"instances": "*", "load": 1, "routing": {"domain": "beep.example.com"},
                  "opts": {"setup": ["npm", "install"], "command": ["node", "server.js"],
                           "commit": "8b7243393950e0209c7a9346e9a1a839b99619d9", "env": {"PORT": "RANDOM_PORT"}}}}
                """);
        try (JavaMain serve = new JavaMain(tmp.resolve("serve.out"), Serve.class, "--manifests", apps.toString(),
                "--state", tmp.resolve("s").toString(), "--router", "none")) {
            assertThat(serve.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(serve.process.exitValue()).isEqualTo(2);
            await().atMost(WAIT).until(() -> serve.count("nothing was changed") == 1);
            assertThat(String.join("\n", serve.lines())).contains("app 'beep'")
                    .contains("8b7243393950e0209c7a9346e9a1a839b99619d9").contains("git push it first");
        }
        assertThat(tmp.resolve("s")).as("a refused Serve makes no state dir").doesNotExist();
    }

    /** One GET / with that Host header to the router; the whole answer, status line first. */
    private static String raw(int port, String host) throws java.io.IOException {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readNBytes(65536), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
