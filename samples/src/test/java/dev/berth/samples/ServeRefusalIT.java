// A refused Serve changes nothing (files, processes, an adopted proxy); Serve's secrets reach neither proxy.
package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Serve refused (a manifest it cannot load, a commit that was never pushed, a --state another Serve
 * holds, a blank MASTER_PASS) leaves the state files byte for byte, starts no proxy and never stops
 * one it would have adopted; a running Serve's proxies run without its environment's secrets and
 * with unprivileged workers (CI runs as root).
 */
class ServeRefusalIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String NEVER_PUSHED = "8b7243393950e0209c7a9346e9a1a839b99619d9";

    @TempDir
    Path tmp;

    /** Processes the test saw (instances, proxies), killed after it whatever happened. */
    private final SeenProcesses seen = new SeenProcesses();

    @AfterEach
    void killWhatWasSeen() throws InterruptedException {
        seen.killAll();
    }

    private Path hello(String folder) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(folder));
        String argv = String.join(", ", Samples.javaCommand(HelloApp.class).stream().map(a -> "\"" + a + "\"").toList());
        Files.writeString(dir.resolve("hello.yml"), """
                apps:
                  hello:
                    command: [%s]
                    env: {PORT: RANDOM_PORT}
                    instances: 1
                    routing: {domains: [hello.test]}
                    healthCheck: {type: http, path: /health, interval: 500ms, timeout: 500ms}
                """.formatted(argv));
        return dir;
    }

    private Path neverPushed(String folder) throws IOException {
        Path dir = hello(folder);
        Files.writeString(dir.resolve("beep.json"), """
                {"beep": {"instances": 1, "routing": {"domain": "beep.test"},
                  "opts": {"command": ["sleep", "100"], "commit": "%s", "env": {"PORT": "RANDOM_PORT"}}}}
                """.formatted(NEVER_PUSHED));
        return dir;
    }

    private JavaMain serve(Map<String, String> env, String out, Path apps, Path state, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("--manifests", apps.toString(), "--state", state.toString()));
        args.addAll(List.of(more));
        return new JavaMain(env, tmp.resolve(out), Serve.class, args.toArray(String[]::new));
    }

    /** Waits for a Serve that must be refused: exit 2, "nothing was changed", and {@code why} said. */
    private static void assertRefused(JavaMain serve, String why) throws Exception {
        assertThat(serve.process.waitFor(60, TimeUnit.SECONDS)).as("a refused Serve ends").isTrue();
        assertThat(serve.process.exitValue()).isEqualTo(2);
        String said = String.join("\n", serve.lines());
        assertThat(said).contains("Serve: nothing was changed.").contains(why);
        assertThat(said).doesNotContain("routes the apps' domains").doesNotContain("adopted nginx")
                .doesNotContain("adopted haproxy");
    }

    /** Every file under {@code dirs} of {@code state}, by path, with its bytes. */
    private static Map<String, String> files(Path state, String... dirs) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String d : dirs) {
            try (Stream<Path> walk = Files.walk(state.resolve(d))) {
                for (Path p : walk.filter(Files::isRegularFile).toList()) {
                    out.put(state.relativize(p).toString(), new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
                }
            }
        }
        return out;
    }

    /** The files under {@code dirs} once two reads 300 ms apart agree (within 15 s). */
    private static Map<String, String> settled(Path state, String... dirs) throws Exception {
        java.util.concurrent.atomic.AtomicReference<Map<String, String>> last = new java.util.concurrent.atomic.AtomicReference<>(
                files(state, dirs));
        await().pollDelay(Duration.ofMillis(300)).pollInterval(Duration.ofMillis(300)).atMost(Duration.ofSeconds(15))
                .alias("the state files under " + state + " settling").until(() -> {
                    Map<String, String> now = files(state, dirs);
                    return now.equals(last.getAndSet(now));
                });
        return last.get();
    }

    @Test
    void aRefusedServeLeavesTheStateOfAKilledServeAsItWasAndItsAdoptableNginxServing() throws Exception {
        Path state = tmp.resolve("state");
        int port = TestTools.freePort();
        String[] routed = {"--router", "nginx", "--http-port", Integer.toString(port)};
        long nginx;
        try (JavaMain first = serve(Map.of(), "first.out", hello("apps"), state, routed)) {
            await().atMost(WAIT).until(() -> first.count(": healthy") == 1);
            seen.addAll(first.all("started, pid (\\d+)"));
            await().atMost(WAIT).ignoreExceptions().until(() -> HostLoad.hello(port, "hello.test") != null);
            nginx = Long.parseLong(Files.readString(state.resolve("router-nginx/nginx.pid")).strip());
            seen.add(Long.toString(nginx));
            first.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // kill -9: instances and nginx run on
        }
        Map<String, String> before = files(state, "platform", "router-nginx/conf");
        assertThat(before).containsKey("router-nginx/conf/nginx.conf");
        assertThat(before.keySet()).as("the killed serve's state journal")
                .anyMatch(k -> k.matches("platform/journal-[0-9]+\\.log"));

        Path bad = hello("bad");
        Files.writeString(bad.resolve("broken.yml"), "apps:\n  broken:\n    command: [sleep, '100']\n    bogus: 1\n");
        try (JavaMain refused = serve(Map.of(), "bad.out", bad, state, routed)) {
            assertRefused(refused, "bogus");
        }
        try (JavaMain refused = serve(Map.of(), "commit.out", neverPushed("commit"), state, routed)) {
            assertRefused(refused, NEVER_PUSHED);
        }

        assertThat(files(state, "platform", "router-nginx/conf")).as("the state files, byte for byte").isEqualTo(before);
        assertThat(JavaMain.alive(Long.toString(nginx))).as("the adoptable nginx runs on").isTrue();
        assertThat(HostLoad.hello(port, "hello.test")).startsWith("hello-");
    }

    @Test
    void aRefusedServeOnAFreshStateLeavesNoStateDirAndStartsNoProxy() throws Exception {
        Path state = tmp.resolve("fresh");
        int port = TestTools.freePort();
        try (JavaMain refused = serve(Map.of(), "commit.out", neverPushed("commit"), state, "--router", "nginx",
                "--http-port", Integer.toString(port))) {
            assertRefused(refused, "git push it first");
        }
        assertThat(state).doesNotExist();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nginx", "haproxy"})
    void aSecondServeOnARunningServesStateIsRefusedAndTheFirstKeepsServingWithoutAFailedRequest(String proxy)
            throws Exception {
        Path apps = hello("apps");
        Path state = tmp.resolve("state");
        int port = TestTools.freePort();
        String[] routed = {"--router", proxy, "--http-port", Integer.toString(port), "--stop-on-exit"};
        String pidFile = proxy.equals("nginx") ? "router-nginx/nginx.pid" : "router-haproxy/run/haproxy.pid";
        String conf = "router-" + proxy + "/conf";
        try (JavaMain first = serve(Map.of(), "first.out", apps, state, routed)) {
            await().atMost(WAIT).until(() -> first.count(": healthy") == 1);
            seen.addAll(first.all("started, pid (\\d+)"));
            await().atMost(WAIT).ignoreExceptions().until(() -> HostLoad.hello(port, "hello.test") != null);
            long master = Long.parseLong(Files.readString(state.resolve(pidFile)).strip());
            seen.add(Long.toString(master));
            // the first Serve's own last writes: the release's success (once the router routes it) and
            // the instance records, which a writer thread saves just after the loop's pass
            await().atMost(WAIT).until(() -> first.count(" rolled out in ") == 1);
            Map<String, String> before = settled(state, "platform", conf);

            HostLoad.Result result;
            try (HostLoad load = HostLoad.start(port, "hello.test", 2, Duration.ofSeconds(90))) {
                try (JavaMain second = serve(Map.of(), "second.out", apps, state, routed)) {
                    assertRefused(second, "is in use by another platform");
                }
                Thread.sleep(1000); // a proxy stopped by the refused Serve would fail requests now
                result = load.stop();
            }
            assertThat(result.failed()).as("failed requests: %s", result.failures()).isZero();
            assertThat(result.ok()).isPositive();
            assertThat(JavaMain.alive(Long.toString(master))).isTrue();
            assertThat(files(state, "platform", conf)).isEqualTo(before);
            first.terminate();
        }
    }

    @Test
    void aBlankMasterPassIsRefusedWithOrWithoutAGitPort() throws Exception {
        Path apps = hello("apps");
        String gitPort = Integer.toString(TestTools.freePort());
        try (JavaMain refused = serve(Map.of("MASTER_PASS", "   "), "withport.out", apps, tmp.resolve("s1"),
                "--router", "none", "--git-port", gitPort)) {
            assertRefused(refused, "MASTER_PASS: a password of only white space is not allowed");
        }
        try (JavaMain refused = serve(Map.of("MASTER_PASS", " \t"), "without.out", apps, tmp.resolve("s2"),
                "--router", "none")) {
            assertRefused(refused, "MASTER_PASS: a password of only white space is not allowed");
        }
        assertThat(tmp.resolve("s1")).doesNotExist();
        assertThat(tmp.resolve("s2")).doesNotExist();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nginx", "haproxy"})
    void noSecretOfServesEnvironmentReachesTheProxyAndItsWorkersAreNotRoot(String proxy) throws Exception {
        String secret = "s3cret-" + ProcessHandle.current().pid();
        Map<String, String> env = Map.of("MASTER_PASS", secret, "BERTH_IT_TOKEN", secret);
        int port = TestTools.freePort();
        Path state = tmp.resolve("state");
        try (JavaMain serve = serve(env, "serve.out", hello("apps"), state, "--router", proxy, "--http-port",
                Integer.toString(port), "--git-port", Integer.toString(TestTools.freePort()), "--stop-on-exit")) {
            await().atMost(WAIT).until(() -> serve.count(": healthy") == 1);
            seen.addAll(serve.all("started, pid (\\d+)"));
            await().atMost(WAIT).ignoreExceptions().until(() -> HostLoad.hello(port, "hello.test") != null);
            long master = Long.parseLong(Files.readString(state.resolve(proxy.equals("nginx")
                    ? "router-nginx/nginx.pid" : "router-haproxy/run/haproxy.pid")).strip());
            List<Long> workers = ProcessHandle.of(master).orElseThrow().children().map(ProcessHandle::pid).toList();
            assertThat(workers).isNotEmpty();
            assertThat(uid(master)).isZero();
            for (long pid : workers) {
                assertThat(uid(pid)).as("%s worker %d", proxy, pid).isNotZero();
            }
            for (long pid : concat(master, workers)) {
                byte[] environ = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
                String text = new String(environ, StandardCharsets.UTF_8);
                assertThat(text).as("%s %d's environment", proxy, pid).doesNotContain(secret).doesNotContain("MASTER_PASS");
                if (proxy.equals("nginx")) {
                    // nginx writes its title over its environment block: its size tells what it started with
                    assertThat(environ).as("nginx %d's environment", pid).hasSize(passedSize());
                } else {
                    Set<String> names = Arrays.stream(text.split("\0")).filter(s -> !s.isEmpty())
                            .map(s -> s.substring(0, s.indexOf('='))).collect(Collectors.toSet());
                    assertThat(names).as("haproxy %d's variables", pid)
                            .allMatch(n -> Set.of("PATH", "LANG", "LC_ALL", "TZ").contains(n) || n.startsWith("HAPROXY_"));
                }
            }
            serve.terminate();
        }
    }

    /** The environment block the routers pass on from this JVM's (Serve's child JVM has the same plus secrets). */
    private static int passedSize() {
        Map<String, String> passed = new HashMap<>();
        for (String name : List.of("PATH", "LANG", "LC_ALL", "TZ")) {
            if (System.getenv(name) != null) {
                passed.put(name, System.getenv(name));
            }
        }
        passed.putIfAbsent("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        return passed.entrySet().stream()
                .mapToInt(e -> (e.getKey() + "=" + e.getValue()).getBytes(StandardCharsets.UTF_8).length + 1).sum();
    }

    private static List<Long> concat(long first, List<Long> rest) {
        List<Long> all = new ArrayList<>(List.of(first));
        all.addAll(rest);
        return all;
    }

    private static int uid(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith("Uid:")).map(l -> Integer.parseInt(l.split("\\s+")[1])).findFirst()
                .orElseThrow();
    }
}
