// Three Serve controllers on real ZooKeeper under load through nginx: kill -9 and SIGSTOP of the leader, loss of the quorum.
package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The users' path of high availability: a 3-server ZooKeeper ensemble (real servers, in this JVM,
 * by Curator's {@code TestingCluster}), three {@code Serve --zookeeper} controllers as JVMs of their
 * own sharing one {@code --state} on this machine (the process backend, nginx), and an app with no
 * health check, under 8 clients through nginx. The leader is killed with SIGKILL, then the
 * next one is stopped with SIGSTOP past its session and woken, then two of the three ZooKeeper
 * servers are stopped and started again. Throughout: no request fails, no instance is restarted or
 * runs twice, and the file-sd module's file follows the instances; the API answers through every
 * controller, 503 without a quorum.
 */
class ServeHaIT {
    private static final Logger LOG = LoggerFactory.getLogger(ServeHaIT.class);
    private static final String TOKEN = "ha-serve-admin-token-0123456789";
    /** The controllers' ZooKeeper credentials: their nodes are closed to anyone without them. */
    private static final String ZK_PASSWORD = "zk-secret-9f3a61c2";
    private static final String DOMAIN = "beep.test";
    private static final int SESSION_SECONDS = 3;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration WHOLE = Duration.ofMinutes(5);

    @TempDir
    Path tmp;

    private final String token = UUID.randomUUID().toString();
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final List<JavaMain> all = new ArrayList<>();
    private final JavaMain[] controllers = new JavaMain[3];
    private final int[] apiPorts = new int[3];
    private TestingCluster zk;
    private int httpPort;
    private Path state;
    private Path apps;

    @AfterEach
    void cleanUp() throws Exception {
        Path keep = Files.createDirectories(Path.of("target", "ServeHaIT"));
        for (JavaMain c : all) {
            signal("CONT", c.process.pid()); // a stopped JVM cannot be killed cleanly
            c.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        try (var outs = Files.list(tmp)) {
            for (Path out : outs.filter(p -> p.getFileName().toString().endsWith(".out")).toList()) {
                Files.copy(out, keep.resolve(out.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        SeenProcesses instances = new SeenProcesses();
        InstanceSessions.scan(token).forEach(p -> instances.add(p.pid()));
        instances.killAll();
        Path pid = state == null ? null : state.resolve("router-nginx/nginx.pid");
        if (pid != null && Files.exists(pid)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(ProcessHandle::destroy);
        }
        if (zk != null) {
            zk.close();
        }
    }

    @Test
    void threeControllersLoseTheirLeaderTwiceAndTheirQuorumOnceWithoutAFailedRequest() throws Exception {
        zk = ensemble();
        zk.start();
        apps = Files.createDirectories(tmp.resolve("mako"));
        Path script = PyHello.write(tmp.resolve("app"));
        String argv = PyHello.command(script, "0").stream().map(a -> "\"" + a.replace("\"", "\\\"") + "\"")
                .collect(Collectors.joining(", "));
        Files.writeString(apps.resolve("beep.yml"), """
                apps:
                  beep:
                    command: [%s]
                    env: {PORT: RANDOM_PORT, %s: "%s"}
                    instances: 3
                    routing: {domains: [%s]}
                """.formatted(argv, InstanceSessions.MARKER, token, DOMAIN));
        state = tmp.resolve("state");
        httpPort = TestTools.freePort();
        for (int i = 0; i < 3; i++) {
            apiPorts[i] = TestTools.freePort();
            controllers[i] = controller(i);
        }
        int first = awaitNewLeader(-1);
        await().atMost(WAIT).ignoreExceptions().until(() -> answering().size() == 3);
        Path sd = Files.createDirectories(tmp.resolve("sd"));
        int follower = (first + 1) % 3;
        HttpResponse<String> preset = call(follower, "PUT", "/v1/modules/file-sd/presets/beep",
                "{\"enabled\": true, \"options\": {\"dir\": \"" + sd + "\"}}");
        assertThat(preset.statusCode()).as(preset.body()).isEqualTo(200); // sent to a follower, done by the leader
        await().atMost(WAIT).until(() -> targets(sd).size() == 3);
        Set<Long> pids = appPids();
        assertThat(pids).hasSize(3);

        HostLoad load = HostLoad.start(httpPort, DOMAIN, 8, WHOLE);
        InstanceSessions sessions = InstanceSessions.start(token, Duration.ofMillis(50), WHOLE);
        List<String> figures = new ArrayList<>();
        try {
            await().atMost(WAIT).until(() -> load.okSoFar() > 200);

            // 1. kill -9 of the leader: another leads within the session timeout + 2 s, adopting everything
            long platformsBefore = platformsRun();
            long killed = System.nanoTime();
            controllers[first].process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> platformsRun() > platformsBefore);
            Duration failover = Duration.ofNanos(System.nanoTime() - killed);
            int second = awaitNewLeader(first);
            figures.add("kill -9 of the leader: the next runs the platform after " + failover.toMillis() + " ms, serves its API after "
                    + (System.nanoTime() - killed) / 1_000_000 + " ms");
            assertThat(failover).as("failover after kill -9").isLessThan(Duration.ofSeconds(SESSION_SECONDS + 2));
            assertThat(appPids()).as("the app's processes after the failover: none restarted").isEqualTo(pids);
            int other = 3 - first - second;
            HttpResponse<String> scale = call(other, "POST", "/v1/apps/beep/scale", "{\"instances\": 4}");
            assertThat(scale.statusCode()).as(scale.body()).isEqualTo(200);
            await().atMost(WAIT).ignoreExceptions().until(() -> answering().size() == 4 && targets(sd).size() == 4);
            pids = appPids();
            assertThat(pids).hasSize(4);
            controllers[first] = controller(first); // back, as a follower
            await().atMost(WAIT).ignoreExceptions().until(() -> leaderSeenBy(first).equals(url(second)));

            // 1b. kill -9 of the leader in the middle of a rolling update: the next one finishes it
            Set<String> before = releases();
            HttpResponse<String> env = call(first, "PATCH", "/v1/apps/beep/env", "{\"set\": {\"GREETING\": \"two\"}}");
            assertThat(env.statusCode()).as(env.body()).isEqualTo(200);
            await().atMost(WAIT).ignoreExceptions().until(() -> !before.containsAll(releases())); // the new release answers
            controllers[second].process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            int next = awaitNewLeader(second);
            await().atMost(WAIT).ignoreExceptions().until(() -> {
                Set<String> now = releases();
                return now.size() == 1 && !before.containsAll(now) && answering().size() == 4 && targets(sd).size() == 4;
            });
            figures.add("kill -9 of the leader during a rollout: " + releases() + " on every instance after it");
            pids = appPids();
            assertThat(pids).as("4 instances of the new release, no more").hasSize(4);
            controllers[second] = controller(second);
            await().atMost(WAIT).ignoreExceptions().until(() -> leaderSeenBy(second).equals(url(next)));

            // 2. SIGSTOP of the new leader past its session, then SIGCONT: it comes back as a follower
            int paused = next;
            long stopped = System.nanoTime();
            signal("STOP", controllers[paused].process.pid());
            int third = awaitNewLeader(paused);
            figures.add("SIGSTOP of the leader: the next leads after " + (System.nanoTime() - stopped) / 1_000_000 + " ms");
            Thread.sleep(1000);
            signal("CONT", controllers[paused].process.pid());
            // until it hears from ZooKeeper, the woken one believes it leads (its writes are refused: fenced)
            await().atMost(WAIT).ignoreExceptions().until(() -> controllers[paused].count("this controller no longer leads") == 1
                    && leaderSeenBy(paused).equals(url(third)));
            assertThat(appPids()).as("after the paused leader woke").isEqualTo(pids);
            assertThat(call(paused, "GET", "/v1/apps/beep", null).statusCode()).isEqualTo(200);

            // 3. two of three ZooKeeper servers stop: no leader, the API answers 503, the apps serve on
            long leadsBefore = leads();
            List<InstanceSpec> servers = new ArrayList<>(zk.getInstances());
            zk.killServer(servers.get(0));
            zk.killServer(servers.get(1));
            await().atMost(WAIT).ignoreExceptions().until(() -> {
                for (int i = 0; i < 3; i++) {
                    HttpResponse<String> r = call(i, "GET", "/v1/apps", null);
                    if (r.statusCode() != 503 || r.headers().firstValue("Retry-After").isEmpty()) {
                        return false;
                    }
                }
                return true;
            });
            long okThen = load.okSoFar();
            Thread.sleep((SESSION_SECONDS + 1) * 1000L);
            assertThat(load.okSoFar()).as("requests served without a quorum").isGreaterThan(okThen + 50);
            long back = System.nanoTime();
            zk.restartServer(servers.get(0));
            zk.restartServer(servers.get(1));
            int fourth = awaitNewLeader(-1);
            figures.add("quorum back: a leader after " + (System.nanoTime() - back) / 1_000_000 + " ms");
            // one lead, and it stays one: checked throughout two seconds, not once after them
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                    .until(() -> leads() == leadsBefore + 1);
            assertThat(call((fourth + 1) % 3, "GET", "/v1/apps/beep", null).statusCode()).isEqualTo(200);
            assertThat(appPids()).as("after the quorum returned").isEqualTo(pids);
            long seen = load.okSoFar();
            await().atMost(WAIT).until(() -> load.okSoFar() > seen + 200);
            assertThat(targets(sd)).hasSize(4);
        } catch (Exception | AssertionError e) {
            e.addSuppressed(new AssertionError(figures + "; load: " + load.stop()));
            throw e;
        } finally {
            sessions.close();
        }
        HostLoad.Result result = load.stop();
        LOG.info("ServeHaIT figures: {}; load {} ok, {} failed", figures, result.ok(), result.failed());
        assertThat(result.failed()).as("failed requests (%d ok); the first: %s", result.ok(),
                result.failures().stream().limit(5).toList()).isZero();
        assertThat(result.ok()).isGreaterThan(1000);
        assertThat(sessions.ranTwice()).as("instance ids that ran twice at once").isEmpty();
        for (JavaMain c : all) {
            assertThat(c.count("readable and writable with BERTH_ZK_AUTH's credentials only")).isEqualTo(1);
            assertThat(c.count(ZK_PASSWORD)).as("the ZooKeeper password in a controller's output").isZero();
        }
    }

    /** Three ZooKeeper servers ticking every 500 ms, so sessions of 1-10 s are granted as asked. */
    private static TestingCluster ensemble() {
        List<InstanceSpec> specs = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            specs.add(new InstanceSpec(null, -1, -1, -1, true, id, 500, -1));
        }
        return new TestingCluster(specs);
    }

    private JavaMain controller(int i) throws Exception {
        JavaMain c = new JavaMain(Map.of("BERTH_TOKEN", TOKEN, "BERTH_ZK_AUTH", "berth:" + ZK_PASSWORD), tmp.resolve("controller" + i + "-" + all.size() + ".out"),
                Serve.class, "--manifests", apps.toString(), "--state", state.toString(), "--router", "nginx",
                "--http-port", Integer.toString(httpPort), "--api-port", Integer.toString(apiPorts[i]),
                "--zookeeper", zk.getConnectString(), "--zk-root", "/berth/ha", "--zk-session", Integer.toString(SESSION_SECONDS));
        all.add(c);
        return c;
    }

    private String url(int i) {
        return "http://127.0.0.1:" + apiPorts[i];
    }

    private HttpResponse<String> call(int i, String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url(i) + path)).header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The leader controller {@code i} names (its URL), or "" when it names none or does not answer. */
    private String leaderSeenBy(int i) {
        try {
            HttpResponse<String> r = call(i, "GET", "/v1/leader", null);
            return r.statusCode() == 200 ? json.readTree(r.body()).path("leader").asText("") : "";
        } catch (Exception e) {
            return "";
        }
    }

    /** Waits until a controller other than {@code not} leads (says so itself); returns its index. */
    private int awaitNewLeader(int not) {
        return await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (int i = 0; i < 3; i++) {
                if (i != not && controllers[i].process.isAlive()) {
                    HttpResponse<String> r;
                    try {
                        r = call(i, "GET", "/v1/leader", null);
                    } catch (Exception e) {
                        continue;
                    }
                    JsonNode who = r.statusCode() == 200 ? json.readTree(r.body()) : null;
                    if (who != null && who.path("self").asBoolean() && platformAnswers(i)) {
                        return i;
                    }
                }
            }
            return -1;
        }, i -> i >= 0);
    }

    private boolean platformAnswers(int i) {
        try {
            return call(i, "GET", "/v1/apps/beep", null).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    /** The instance ids answering through nginx in 30 requests. */
    private Set<String> answering() throws Exception {
        Set<String> ids = new TreeSet<>();
        for (int n = 0; n < 30; n++) {
            ids.add(HostLoad.hello(httpPort, DOMAIN).split(" ")[0]);
        }
        return ids;
    }

    /** The releases answering through nginx in 30 requests. */
    private Set<String> releases() throws Exception {
        Set<String> out = new TreeSet<>();
        for (int n = 0; n < 30; n++) {
            out.add(HostLoad.hello(httpPort, DOMAIN).split(" ")[1]);
        }
        return out;
    }

    /** The pids of the app's python processes (this test's only). */
    private Set<Long> appPids() {
        return InstanceSessions.scan(token).stream().filter(p -> p.pid() != p.session() && p.comm().startsWith("python"))
                .map(InstanceSessions.Proc::pid).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The targets of the file-sd module's file for the app. */
    private Set<String> targets(Path sd) throws Exception {
        Path file = sd.resolve("beep.json");
        if (!Files.exists(file)) {
            return Set.of();
        }
        Set<String> out = new TreeSet<>();
        json.readTree(file.toFile()).forEach(g -> g.path("targets").forEach(t -> out.add(t.asText())));
        return out;
    }

    /** How many times any controller built its platform as the new leader so far (HaController's line). */
    private long platformsRun() {
        return all.stream().mapToLong(c -> c.lines().stream().filter(l -> l.contains("HaController - ha: ") && l.contains(" leads (epoch "))
                .count()).sum();
    }

    /** How many times any controller took the lead so far. */
    private long leads() {
        return all.stream().mapToLong(c -> c.count("this controller leads")).sum();
    }

    private static void signal(String name, long pid) throws Exception {
        new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    }
}
