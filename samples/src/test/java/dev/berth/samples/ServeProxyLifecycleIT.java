// Serve's proxy (nginx or haproxy) outlives Serve's SIGTERM and Ctrl-C without a failed request, and Serve restarts a killed proxy.
package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Serve with a router, each Serve started in a session of its own as a terminal would run it:
 * SIGTERM of Serve, then Ctrl-C (SIGINT to Serve's whole process group), each followed by a new
 * Serve on the same {@code --state}, under load: not one request fails, and every Serve adopts the
 * same proxy master. And a proxy master killed with SIGKILL under a running Serve is started again
 * (a new pid answers the domain) with a log line that says so. Both routers; fails, never skips,
 * when nginx, haproxy or setsid is missing.
 */
class ServeProxyLifecycleIT {
    private static final Duration WAIT = Duration.ofSeconds(45);

    @org.junit.jupiter.api.io.TempDir
    Path tmp;

    /** Every Serve started, and the pids of what they started (instances, proxy), killed after the test. */
    private final List<Process> serves = new CopyOnWriteArrayList<>();
    private final SeenProcesses seen = new SeenProcesses();

    @AfterEach
    void killWhatWasSeen(org.junit.jupiter.api.TestInfo test) throws Exception {
        Path keep = Files.createDirectories(Path.of("target", "ServeProxyLifecycleIT")); // Serve's output, to read after
        try (var outs = Files.list(tmp)) {
            for (Path out : outs.filter(p -> p.getFileName().toString().endsWith(".out")).toList()) {
                Files.copy(out, keep.resolve(test.getDisplayName().replaceAll("\\W+", "_") + "-" + out.getFileName()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        for (Process p : serves) {
            p.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
        seen.killAll();
    }

    private Path hello() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("apps"));
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

    /** Serve's JVM through setsid: it leads its own session and process group, as a shell's job does. */
    private Process serve(String name, Path apps, Path state, String proxy, int port) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/setsid",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m", "-cp",
                System.getProperty("java.class.path"), Serve.class.getName(), "--manifests", apps.toString(),
                "--state", state.toString(), "--router", proxy, "--http-port", Integer.toString(port)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(name).toFile()).start();
        serves.add(p);
        return p;
    }

    private String output(String name) throws IOException {
        return Files.readString(tmp.resolve(name), StandardCharsets.UTF_8);
    }

    private void awaitServing(String name, Process serve, int port) throws IOException {
        await().atMost(WAIT).until(() -> output(name).contains("running 1 app(s)") || !serve.isAlive());
        assertThat(serve.isAlive()).as("Serve runs: %s", output(name)).isTrue();
        // the first rollout's tables settled: 20 answers in a row (an old worker may answer the table before)
        int[] inARow = {0};
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
            try {
                HostLoad.hello(port, "hello.test");
                inARow[0]++;
            } catch (IOException e) {
                inARow[0] = 0;
            }
            return inARow[0] >= 20;
        });
        for (String line : output(name).split("\n")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("started, pid (\\d+)").matcher(line);
            if (m.find()) {
                seen.add(Long.parseLong(m.group(1)));
            }
        }
    }

    private static long master(Path state, String proxy) throws IOException {
        return Long.parseLong(Files.readString(state.resolve(proxy.equals("nginx")
                ? "router-nginx/nginx.pid" : "router-haproxy/run/haproxy.pid")).strip());
    }

    /** Sends {@code signal} to Serve's whole process group (what a terminal's Ctrl-C does) or to Serve alone. */
    private static void signal(Process serve, String signal, boolean group) throws Exception {
        String target = group ? "-" + serve.pid() : Long.toString(serve.pid());
        Process kill = new ProcessBuilder("kill", "-" + signal, "--", target).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -%s %s", signal, target).isTrue();
        assertThat(serve.waitFor(60, TimeUnit.SECONDS)).as("Serve ends after SIG%s", signal).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nginx", "haproxy"})
    void acrossSigtermAndCtrlCOfServeAndANewServeTheDomainAnswersWithoutAFailedRequest(String proxy) throws Exception {
        Path apps = hello();
        Path state = tmp.resolve("state");
        int port = TestTools.freePort();
        Process first = serve("first.out", apps, state, proxy, port);
        awaitServing("first.out", first, port);
        long pgid = Long.parseLong(Files.readString(Path.of("/proc", Long.toString(first.pid()), "stat"))
                .replaceFirst(".*\\) ", "").split(" ")[2]);
        assertThat(pgid).as("Serve leads its process group").isEqualTo(first.pid());
        long master = master(state, proxy);
        seen.add(master);

        HostLoad.Result result;
        try (HostLoad load = HostLoad.start(port, "hello.test", 2, Duration.ofSeconds(50))) {
            await().atMost(WAIT).until(() -> load.okSoFar() > 50);
            signal(first, "TERM", false);
            assertThat(output("first.out")).contains("leaving the instances and " + proxy + " running");
            Process second = serve("second.out", apps, state, proxy, port);
            awaitServing("second.out", second, port);
            assertThat(output("second.out")).contains("adopted " + proxy + " " + master);

            long before = load.okSoFar();
            signal(second, "INT", true); // Ctrl-C in Serve's terminal: the whole foreground group
            assertThat(load.okSoFar()).as("answered while Serve stopped").isGreaterThan(before);
            Process third = serve("third.out", apps, state, proxy, port);
            awaitServing("third.out", third, port);
            assertThat(output("third.out")).contains("adopted " + proxy + " " + master);
            long adopted = load.okSoFar();
            await().atMost(WAIT).until(() -> load.okSoFar() > adopted + 100);
            result = load.stop();
        }
        assertThat(result.failed()).as("failed requests of %d: %s", result.ok(), result.failures()).isZero();
        assertThat(master(state, proxy)).as("the proxy master pid").isEqualTo(master);
        assertThat(ProcessHandle.of(master).map(ProcessHandle::isAlive)).contains(true);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nginx", "haproxy"})
    void aProxyMasterKilledUnderServeIsStartedAgainAndServeSaysSo(String proxy) throws Exception {
        Path state = tmp.resolve("state");
        int port = TestTools.freePort();
        Process serve = serve("serve.out", hello(), state, proxy, port);
        awaitServing("serve.out", serve, port);
        long master = master(state, proxy);
        seen.add(master);
        List<ProcessHandle> workers = ProcessHandle.of(master).orElseThrow().children().toList();
        workers.forEach(w -> seen.add(w.pid())); // killed after the test should the router not stop them

        ProcessHandle.of(master).orElseThrow().destroyForcibly(); // kill -9 of the master
        await().atMost(WAIT).ignoreExceptions().until(() -> master(state, proxy) != master
                && HostLoad.hello(port, "hello.test") != null);
        long revived = master(state, proxy);
        seen.add(revived);
        assertThat(ProcessHandle.of(revived).map(ProcessHandle::isAlive)).contains(true);
        await().atMost(WAIT).until(() -> output("serve.out").contains(proxy + " (pid " + master
                + ") was not running; started it again"));
        assertThat(output("serve.out")).doesNotContain("router rejected the new table");
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(workers).as("the killed master's workers").noneMatch(ProcessHandle::isAlive));
        try (HostLoad load = HostLoad.start(port, "hello.test", 2, Duration.ofSeconds(20))) {
            await().atMost(WAIT).until(() -> load.okSoFar() > 50);
            HostLoad.Result after = load.stop();
            assertThat(after.failed()).as("failed requests after the restart: %s", after.failures()).isZero();
        }
        signal(serve, "TERM", false);
    }
}
