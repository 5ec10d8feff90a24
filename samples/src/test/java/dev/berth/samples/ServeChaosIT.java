package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chaos: {@code Serve --router nginx} runs a Mako manifest (3 instances, {@code PORT: RANDOM_PORT},
 * no health check) that follows a repository on Serve's git server, under 16 clients through
 * nginx; new releases are pushed with the real {@code git push} and Serve's JVM is killed with
 * SIGKILL at random moments of the rollouts ({@value #KILLS} times, a seeded random), each time
 * followed by a new Serve on the same {@code --state}. Then: no request failed, the app ends on
 * the last pushed release with its 3 instances, no instance id ever ran twice at once (/proc
 * sampled throughout), no orphan process, nginx routes exactly the live instances, and nginx's
 * master survived every death of Serve (same pid, adopted).
 */
class ServeChaosIT {
    private static final Logger LOG = LoggerFactory.getLogger(ServeChaosIT.class);
    private static final int KILLS = 22;
    private static final long SEED = Long.getLong("berth.chaos.seed", 13);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration WHOLE = Duration.ofMinutes(4);
    private static final String PASSWORD = "shortfin";
    private static final String DOMAIN = "beep.test";

    @TempDir
    Path tmp;

    private final String token = UUID.randomUUID().toString();
    private final List<JavaMain> serves = new ArrayList<>();
    private long nginx = -1;
    private String lastLogged = "";

    @AfterEach
    void cleanUp() throws Exception {
        Path keep = Files.createDirectories(Path.of("target", "ServeChaosIT")); // every Serve's output, to read after
        try (var outs = Files.list(tmp)) {
            for (Path out : outs.filter(p -> p.getFileName().toString().endsWith(".out")).toList()) {
                Files.copy(out, keep.resolve(out.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path errors = tmp.resolve("state/router-nginx/logs/error.log"); // nginx's word on any failed request
        if (Files.exists(errors)) {
            Files.copy(errors, keep.resolve("nginx-error.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        for (JavaMain s : serves) {
            s.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        SeenProcesses instances = new SeenProcesses();
        InstanceSessions.scan(token).forEach(p -> instances.add(p.pid())); // this test's instances only, by pid
        instances.killAll();
        if (nginx > 0) {
            ProcessHandle.of(nginx).ifPresent(ProcessHandle::destroy);
        }
    }

    @Test
    void serveKilledAtRandomMomentsOfRolloutsCostsNoRequestAndLeavesOneCopyOfEachInstance() throws Exception {
        long start = System.nanoTime();
        Path apps = Files.createDirectories(tmp.resolve("mako"));
        String argv = PyHello.command("hello.py", "0.5").stream().map(ServeChaosIT::json).collect(Collectors.joining(", "));
        Files.writeString(apps.resolve("beep.json"), """
                {"beep": {"instances": 3, "routing": {"domain": "%s"},
                  "opts": {"command": [%s], "env": {"PORT": "RANDOM_PORT", "%s": "%s"}}}}
                """.formatted(DOMAIN, argv, InstanceSessions.MARKER, token));
        Path state = tmp.resolve("state");
        int port = TestTools.freePort();
        int gitPort = TestTools.freePort();
        GitCli git = new GitCli(tmp);
        Path repo = Files.createDirectories(tmp.resolve("beep"));
        git.run(repo, false, "init", "-q");
        String url = "http://git:" + PASSWORD + "@127.0.0.1:" + gitPort + "/beep";

        JavaMain serve = serve(apps, state, port, gitPort);
        awaitReady(serve);
        commit(git, repo, "v1");
        git.run(repo, false, "push", "-q", url, "HEAD:master"); // Mako pushes master
        awaitServing(port, "v1");
        nginx = Long.parseLong(Files.readString(state.resolve("router-nginx/nginx.pid")).strip());

        Random random = new Random(SEED);
        int version = 1;
        List<String> moments = new ArrayList<>();
        HostLoad load = HostLoad.start(port, DOMAIN, 16, WHOLE);
        long loadStart = System.nanoTime(); // the clock of the load's failure times
        InstanceSessions sessions = InstanceSessions.start(token, Duration.ofMillis(20), WHOLE);
        Map<String, Long> settled;
        try {
            await().atMost(WAIT).until(() -> load.okSoFar() > 100);
            for (int kill = 1; kill <= KILLS; kill++) {
                assertThat(System.nanoTime() - start).as("the test's time").isLessThan(WHOLE.toNanos() - 60_000_000_000L);
                CompletableFuture<String> push = CompletableFuture.completedFuture("no push");
                long delay;
                if (kill > 1 && random.nextInt(4) == 0) { // while the new Serve adopts and resumes what the last left
                    delay = 200 + random.nextInt(2300);
                    moments.add(delay + " ms after start");
                } else {
                    awaitReady(serve);
                    commit(git, repo, "v" + ++version);
                    push = CompletableFuture.supplyAsync(() -> pushQuietly(git, repo, url));
                    delay = random.nextInt(2000);
                    moments.add("v" + version + " +" + delay + " ms");
                }
                Thread.sleep(delay);
                LOG.info("kill {} of Serve ({}) at {} ms of the load", kill, moments.get(kill - 1),
                        (System.nanoTime() - loadStart) / 1_000_000);
                serve.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // kill -9: no shutdown hook runs
                assertThat(JavaMain.alive(Long.toString(nginx))).as("nginx's master after kill %d", kill).isTrue();
                push.get(60, TimeUnit.SECONDS); // failed or not: Serve died under it
                serve = serve(apps, state, port, gitPort);
            }
            awaitReady(serve);
            String last = "v" + ++version;
            commit(git, repo, last);
            git.run(repo, false, "push", "-q", url, "HEAD:master");
            settled = awaitSettled(state, last);
            long seen = load.okSoFar();
            await().atMost(WAIT).until(() -> load.okSoFar() > seen + 300); // the load goes on after the last switch
        } catch (Exception | AssertionError e) {
            e.addSuppressed(new AssertionError(figure(load.stop(), sessions, moments, start)));
            throw e;
        } finally {
            sessions.close();
        }
        HostLoad.Result result = load.stop();
        LOG.info(figure(result, sessions, moments, start));
        List<String> twice = sessions.ranTwice();

        assertThat(result.failed()).as("failed requests (%d ok); the first: %s", result.ok(),
                result.failures().stream().limit(5).toList()).isZero();
        assertThat(result.ok()).isGreaterThan(1000);
        assertThat(twice).as("instance ids that ran twice at once").isEmpty();
        assertThat(sessions.samples()).isGreaterThan(100);
        assertThat(Long.parseLong(Files.readString(state.resolve("router-nginx/nginx.pid")).strip()))
                .as("nginx's master pid").isEqualTo(nginx);
        assertThat(JavaMain.alive(Long.toString(nginx))).isTrue();
        for (JavaMain s : serves.subList(1, serves.size())) {
            if (s.count("git server on port") > 0) { // it got that far: it had taken over the router
                assertThat(s.count("adopted nginx " + nginx)).as("a later Serve adopted nginx").isEqualTo(1);
            }
        }
        pidFilesMatch(state, settled);
        serve.terminate();
    }

    private static String figure(HostLoad.Result load, InstanceSessions sessions, List<String> moments, long start) {
        return "ServeChaosIT figure: " + moments.size() + " kills of Serve (seed " + SEED + ") at " + moments + "; load: "
                + load.ok() + " ok, " + load.failed() + " failed (the first: " + load.failures().stream().limit(5).toList()
                + "); ids in two sessions at once: " + sessions.ranTwice() + " over " + sessions.samples()
                + " /proc samples; " + (System.nanoTime() - start) / 1_000_000_000 + " s in all";
    }

    private JavaMain serve(Path apps, Path state, int port, int gitPort) throws Exception {
        JavaMain s = new JavaMain(Map.of("MASTER_PASS", PASSWORD), tmp.resolve("serve" + (serves.size() + 1) + ".out"),
                Serve.class, "--manifests", apps.toString(), "--state", state.toString(), "--router", "nginx",
                "--http-port", Integer.toString(port), "--git-port", Integer.toString(gitPort));
        serves.add(s);
        return s;
    }

    private static void awaitReady(JavaMain serve) {
        await().atMost(WAIT).until(() -> serve.count("git server on port") == 1 || !serve.process.isAlive());
        assertThat(serve.process.isAlive()).as("Serve runs: %s", serve.lines()).isTrue();
    }

    private static void commit(GitCli git, Path repo, String version) throws Exception {
        Files.writeString(repo.resolve("hello.py"), PyHello.source(version));
        git.run(repo, false, "add", "hello.py");
        git.run(repo, false, "commit", "-q", "-m", version);
    }

    private static String pushQuietly(GitCli git, Path repo, String url) {
        try {
            return git.run(repo, true, "push", "-q", url, "HEAD:master");
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static void awaitServing(int port, String version) {
        Set<String> answering = new HashSet<>();
        await().atMost(WAIT).ignoreExceptions().until(() -> {
            String a = HostLoad.hello(port, DOMAIN);
            if (a.endsWith(" " + version)) {
                answering.add(a);
            }
            return answering.size() == 3;
        });
    }

    /** Waits until {@link #settled} holds; returns what it found. */
    private Map<String, Long> awaitSettled(Path state, String version) {
        return await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> settled(state, version), m -> !m.isEmpty());
    }

    /**
     * The app's 3 live instances (id to app pid) when nginx routes exactly them, each on the last
     * release, and no other process of this test lives; an empty map while that is not so yet.
     */
    private Map<String, Long> settled(Path state, String version) throws Exception {
        Set<String> upstreams = upstreams(state.resolve("router-nginx/conf/nginx.conf"));
        List<InstanceSessions.Proc> procs = InstanceSessions.scan(token);
        Map<String, Set<Long>> sessions = InstanceSessions.sessionsById(procs);
        Set<Long> live = sessions.values().stream().flatMap(Set::stream).collect(Collectors.toSet());
        boolean orphans = procs.stream().anyMatch(p -> !live.contains(p.session()));
        if (upstreams.size() != 3 || sessions.size() != 3 || live.size() != 3 || orphans) {
            quietly("not settled yet: upstreams " + upstreams + ", sessions " + sessions + ", " + procs.size() + " process(es)");
            return Map.of();
        }
        Map<String, Long> apps = new java.util.TreeMap<>();
        for (InstanceSessions.Proc p : procs) {
            if (p.pid() != p.session() && p.comm().startsWith("python")) {
                String answer = HostLoad.hello(Integer.parseInt(p.port()), DOMAIN);
                if (!upstreams.contains("127.0.0.1:" + p.port()) || !answer.equals(p.instance() + " " + version)) {
                    quietly("not settled yet: " + p + " answers '" + answer + "', upstreams " + upstreams);
                    return Map.of();
                }
                apps.put(p.instance(), p.pid());
            }
        }
        return apps.size() == 3 ? apps : Map.of();
    }

    /** Logs {@code what} unless it is what was logged last. */
    private void quietly(String what) {
        if (!what.equals(lastLogged)) {
            LOG.info(what);
            lastLogged = what;
        }
    }

    /**
     * Every pid file of the app's instance directories: those of the live instances name their
     * app process, every other one names a process that is gone.
     */
    private static void pidFilesMatch(Path state, Map<String, Long> live) throws Exception {
        assertThat(live).as("the settled instances").hasSize(3);
        Path dirs = state.resolve("instances/local/beep/instances");
        List<Path> all;
        try (var s = Files.list(dirs)) {
            all = s.toList();
        }
        Set<String> seen = new HashSet<>();
        for (Path dir : all) {
            Path pidFile = dir.resolve("pid");
            if (!Files.exists(pidFile)) {
                continue;
            }
            String pid = Files.readString(pidFile).strip().split(" ")[0];
            String id = dir.getFileName().toString();
            if (live.containsKey(id)) {
                assertThat(pid).as("pid file of %s", id).isEqualTo(Long.toString(live.get(id)));
                seen.add(id);
            } else {
                assertThat(JavaMain.alive(pid)).as("the process of %s's pid file %s (no longer wanted)", id, pid).isFalse();
            }
        }
        assertThat(seen).as("live instances with a pid file").isEqualTo(live.keySet());
    }

    /** The {@code server} addresses of every {@code upstream} block of an nginx config. */
    private static Set<String> upstreams(Path conf) throws java.io.IOException {
        Set<String> out = new HashSet<>();
        boolean inUpstream = false;
        for (String line : Files.readAllLines(conf)) {
            String t = line.strip();
            if (t.startsWith("upstream ")) {
                inUpstream = true;
            } else if (t.equals("}")) {
                inUpstream = false;
            } else if (inUpstream && t.startsWith("server ")) {
                out.add(t.split("\\s+")[1].replace(";", ""));
            }
        }
        return out;
    }

    private static String json(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
