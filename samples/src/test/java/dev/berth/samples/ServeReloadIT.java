// Serve reloads its manifest folder on change and on SIGHUP, touching only what changed; a bad file changes nothing.
package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running Serve (nginx or haproxy in front) whose folder is edited: one app changed, one added, one
 * removed in one go; then a bad file; then SIGHUP. Unchanged apps and the proxy keep their pids, and
 * every event is printed once.
 */
class ServeReloadIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    /** Processes the test saw, killed after it whatever happened. */
    private final SeenProcesses seen = new SeenProcesses();

    @AfterEach
    void killWhatWasSeen() throws InterruptedException {
        seen.killAll();
    }

    private static String hello(String app, String greeting) {
        String argv = String.join(", ", Samples.javaCommand(HelloApp.class).stream().map(a -> "\"" + a + "\"").toList());
        return """
                apps:
                  %s:
                    command: [%s]
                    env: {PORT: RANDOM_PORT, GREETING: %s}
                    routing: {domains: [%s.test]}
                    healthCheck: {type: http, path: /health, interval: 300ms, timeout: 300ms}
                """.formatted(app, argv, greeting, app);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nginx", "haproxy"})
    void editsAdditionsRemovalsAndSighupAreAppliedWithoutTouchingTheRestAndABadFileChangesNothing(String proxy)
            throws Exception {
        Path pidFile = Path.of(proxy.equals("nginx") ? "router-nginx/nginx.pid" : "router-haproxy/run/haproxy.pid");
        Path apps = Files.createDirectories(tmp.resolve("apps"));
        Files.writeString(apps.resolve("api.yml"), hello("api", "one"));
        Files.writeString(apps.resolve("web.yml"), hello("web", "one"));
        Files.writeString(apps.resolve("old.yml"), hello("old", "one"));
        Path state = tmp.resolve("state");
        int port = TestTools.freePort();
        try (JavaMain serve = new JavaMain(tmp.resolve("serve.out"), Serve.class, "--manifests", apps.toString(),
                "--state", state.toString(), "--router", proxy, "--http-port", Integer.toString(port),
                "--stop-on-exit")) {
            await().atMost(WAIT).until(() -> serve.count(": healthy") == 3);
            // Each rollout ends once the router's table holds its app and the workers of the tables
            // before (which answered 503 for it) have finished: from then on every answer is the app's.
            await().atMost(WAIT).until(() -> java.util.Set.copyOf(serve.all("(api|web|old): release \\S+ rolled out in")).size() == 3);
            seen.addAll(serve.all("started, pid (\\d+)"));
            String api = pidOf(serve, "api-1");
            String old = pidOf(serve, "old-1");
            await().atMost(WAIT).ignoreExceptions().until(() -> HostLoad.hello(port, "old.test") != null
                    && HostLoad.hello(port, "web.test") != null && HostLoad.hello(port, "api.test") != null);
            String webRelease = HostLoad.hello(port, "web.test");
            String router = Files.readString(state.resolve(pidFile)).strip();
            seen.add(router);

            // one change of each kind at once: one reload
            Files.writeString(apps.resolve("web.yml"), hello("web", "two"));
            Files.writeString(apps.resolve("fresh.yml"), hello("fresh", "one"));
            Files.delete(apps.resolve("old.yml"));
            await().atMost(WAIT).until(() -> serve.count("Serve: reloaded: ") == 1);
            assertThat(serve.lines()).filteredOn(l -> l.startsWith("Serve: reloaded: "))
                    .containsExactly("Serve: reloaded: fresh added, web changed, old removed");
            await().atMost(WAIT).ignoreExceptions().until(() -> HostLoad.hello(port, "fresh.test") != null);
            await().atMost(WAIT).ignoreExceptions()
                    .until(() -> !HostLoad.hello(port, "web.test").equals(webRelease) && serve.count("web-2: healthy") == 1);
            await().atMost(WAIT).until(() -> !JavaMain.alive(old));
            seen.addAll(serve.all("started, pid (\\d+)"));
            assertThat(pidOf(serve, "api-1")).isEqualTo(api);
            assertThat(JavaMain.alive(api)).isTrue();
            assertThat(serve.count("api: rolling out")).as("api was not redeployed").isEqualTo(1);
            assertThat(Files.readString(state.resolve(pidFile)).strip()).as("the same " + proxy).isEqualTo(router);
            assertThat(JavaMain.alive(router)).isTrue();

            // a bad file: said with file, line and field; nothing changes
            long started = serve.count(": started, pid");
            Files.writeString(apps.resolve("bad.yml"), "apps:\n  bad:\n    command: [sleep, '100']\n    instanse: 3\n");
            await().atMost(WAIT).until(() -> serve.count("Serve: reload refused") == 1);
            assertThat(serve.lines()).filteredOn(l -> l.startsWith("Serve: reload refused"))
                    .allMatch(l -> l.contains("bad.yml line 4: app 'bad': instanse:"));
            Thread.sleep(1000);
            assertThat(serve.count(": started, pid")).isEqualTo(started);
            assertThat(serve.count("bad: deployed")).isZero();

            // the bad file removed: nothing to do; then SIGHUP reloads once more
            Files.delete(apps.resolve("bad.yml"));
            await().atMost(WAIT).until(() -> serve.count("Serve: reloaded: no change") == 1);
            Process hup = new ProcessBuilder("kill", "-HUP", Long.toString(serve.process.pid())).start();
            assertThat(hup.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(hup.exitValue()).isZero();
            await().atMost(WAIT).until(() -> serve.count("Serve: reloaded: no change") == 2);
            assertThat(serve.process.isAlive()).as("SIGHUP does not stop Serve").isTrue();
            assertThat(JavaMain.alive(api)).isTrue();
            assertThat(serve.count(": started, pid")).isEqualTo(started);

            // every event once: no log line repeats what EventPrinter printed
            for (String event : List.of("api-1: starting on node", "api-1: started, pid", "api-1: healthy",
                    "api: deployed release", "fresh: deployed release", "old: removed")) {
                assertThat(serve.count(event)).as("lines with '%s'", event).isEqualTo(1);
            }
            assertThat(serve.lines()).noneMatch(l -> l.contains("Reconciler") || l.contains("ProcessBackend"));
            serve.terminate();
        }
    }

    /** The pid the line "{@code instance}: started, pid N" names. */
    private static String pidOf(JavaMain serve, String instance) {
        List<String> pids = new ArrayList<>(serve.all(instance + ": started, pid (\\d+)"));
        assertThat(pids).as("%s started once", instance).hasSize(1);
        return pids.get(0);
    }
}
