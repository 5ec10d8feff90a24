package dev.berth.backend.ssh;

import static dev.berth.backend.ssh.Kit.req;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.AppSpec;
import dev.berth.spi.NodeStatus;
import dev.berth.spi.RunningInstance;

/**
 * Liveness over real OpenSSH hosts whose login shell is slow: root's bash reads a {@code .bashrc}
 * that sleeps 2 s for every {@code ssh host command}, as one running {@code pyenv init} does. A
 * round on the host's long-lived liveness channel pays no login shell: rounds answer within the
 * heartbeat (also with both cores busy), no host is ever reported unreachable, a reopened channel
 * (paying the shell once) does not make its host silent, and a killed or cut-off host is still
 * found out within a beat or two, and reconnects when healed.
 */
class SlowLoginShellIT {
    private static final Logger LOG = LoggerFactory.getLogger(SlowLoginShellIT.class);
    private static final Duration BEAT = Duration.ofSeconds(1);
    private static final Duration CHECK = Duration.ofSeconds(1);
    /**
     * The platform's default {@code nodeDownAfter}: a last contact older than this would declare the
     * host down. (3 beats was asserted before: 3.45 s was seen on a CI machine also running the
     * other modules' tests while this one busied both cores; the host was never unreachable.)
     */
    private static final Duration NODE_DOWN_AFTER = Duration.ofSeconds(5);
    private static final int LOGIN_SECONDS = 2;
    private Kit kit;
    private SshBackend backend;
    private final List<String> exits = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        kit = Kit.withHosts(61, 3);
        for (NetnsHost h : kit.hosts) {
            h.slowLogin(LOGIN_SECONDS);
        }
    }

    @AfterEach
    void tearDown() {
        try {
            if (backend != null) {
                backend.close();
            }
        } finally {
            kit.close(); // kills every process of every host
        }
    }

    private SshBackend build(Duration heartbeat, Duration checkTimeout) {
        backend = kit.backend().heartbeat(heartbeat).checkTimeout(checkTimeout).build();
        backend.onExit((id, handle, exit) -> exits.add(id + " " + handle + " " + exit));
        return backend;
    }

    private NodeStatus status(String node) {
        return backend.nodeStatus().stream().filter(s -> s.node().equals(node)).findFirst().orElseThrow();
    }

    /** {@code perHost} sleepers on every host, the hosts in parallel (each start pays the slow login shell). */
    private List<RunningInstance> startSleepers(int perHost) throws Exception {
        AppSpec sleeper = Kit.sleeper("slow").build();
        ExecutorService pool = Executors.newFixedThreadPool(kit.hosts.size());
        try {
            List<Future<List<RunningInstance>>> parts = new ArrayList<>();
            for (NetnsHost h : kit.hosts) {
                parts.add(pool.submit(() -> {
                    List<RunningInstance> started = new ArrayList<>();
                    for (int i = 0; i < perHost; i++) {
                        started.add(backend.start(req("z" + h.n + "-" + i, Kit.node(h), sleeper)));
                    }
                    return started;
                }));
            }
            List<RunningInstance> all = new ArrayList<>();
            for (Future<List<RunningInstance>> f : parts) {
                all.addAll(f.get(60, TimeUnit.SECONDS));
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    @Test
    void aRoundPaysNoLoginShellWhileAnExecPaysItEveryTime() throws Exception {
        build(Duration.ZERO, Duration.ofSeconds(5));
        List<RunningInstance> started = startSleepers(2);

        long[] execs = new long[3];
        for (int i = 0; i < execs.length; i++) {
            long s = System.nanoTime();
            assertThat(backend.console().exec(started.get(0).instanceId(), List.of("true"), Duration.ofSeconds(10))
                    .exitCode()).isZero();
            execs[i] = System.nanoTime() - s;
        }
        // the slow login shell is in effect: every exec channel pays it
        assertThat(Arrays.stream(execs).min().orElseThrow()).isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(LOGIN_SECONDS));

        long s0 = System.nanoTime();
        List<NodeStatus> first = backend.checkHosts();
        long firstRound = System.nanoTime() - s0;
        assertThat(first).allMatch(NodeStatus::reachable);
        long[] rounds = new long[20];
        for (int r = 0; r < rounds.length; r++) {
            long s = System.nanoTime();
            List<NodeStatus> statuses = backend.checkHosts();
            rounds[r] = System.nanoTime() - s;
            assertThat(statuses).allMatch(NodeStatus::reachable).allMatch(st -> st.running().size() == 2);
        }
        long[] sorted = rounds.clone();
        Arrays.sort(sorted);
        LOG.info("with a login shell that takes {} s: an exec (start, stop, logs, exec) took {} ms; a liveness round over "
                + "3 hosts (in parallel) took {} ms the first time, then p50 {} ms, p90 {} ms, max {} ms ({} rounds)",
                LOGIN_SECONDS, Arrays.stream(execs).map(SlowLoginShellIT::millis).boxed().toList(), millis(firstRound),
                sorted[sorted.length / 2] / 1e6, sorted[sorted.length * 9 / 10] / 1e6, sorted[sorted.length - 1] / 1e6,
                rounds.length);
        // no round after the channel is open pays a shell start
        assertThat(sorted[sorted.length - 1]).isLessThan(BEAT.toNanos());
        assertThat(sorted[sorted.length / 2]).isLessThan(TimeUnit.MILLISECONDS.toNanos(200));
        for (NetnsHost h : kit.hosts) {
            assertThat(backend.liveness(Kit.node(h)).opens()).isEqualTo(1);
        }
        assertThat(exits).isEmpty();
    }

    @Test
    void noHostIsEverUnreachableOverTwentyBeatsAlsoWithBothCoresBusy() throws Exception {
        build(BEAT, CHECK);
        startSleepers(2);
        Kit.waiting().until(() -> backend.nodeStatus().stream().allMatch(s -> s.reachable() && s.running().size() == 2));

        watch("idle", Duration.ofSeconds(21));
        List<Process> burners = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) { // bounded: timeout ends each after 20 s, and finally below at the latest
                burners.add(new ProcessBuilder("timeout", "20", "sh", "-c", "while :; do :; done")
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            }
            watch("both cores busy", Duration.ofSeconds(20));
        } finally {
            burners.forEach(Process::destroyForcibly);
        }
        for (NetnsHost h : kit.hosts) {
            LivenessChannel channel = backend.liveness(Kit.node(h));
            assertThat(channel.opens()).as("channel opens of %s", h).isEqualTo(1);
            assertThat(channel.maxRoundNanos()).as("longest round of %s", h).isLessThan(NODE_DOWN_AFTER.toNanos());
        }
        assertThat(exits).isEmpty();
    }

    /**
     * Samples every host's status every 50 ms for {@code span}: each is reachable at every sample,
     * its last contact is never as old as the platform's default {@code nodeDownAfter}, and it answers
     * a round in at least half of the beats (the figures are logged).
     */
    private void watch(String phase, Duration span) throws InterruptedException {
        Map<String, Long> roundsBefore = new ConcurrentHashMap<>();
        kit.hosts.forEach(h -> roundsBefore.put(Kit.node(h), backend.liveness(Kit.node(h)).rounds()));
        long end = System.nanoTime() + span.toNanos();
        long samples = 0;
        long maxAgeMs = 0;
        while (System.nanoTime() < end) {
            Instant now = Instant.now();
            for (NodeStatus s : backend.nodeStatus()) {
                assertThat(s.reachable()).as("%s: %s at sample %d (%s)", phase, s.node(), samples, s.lastError()).isTrue();
                long age = Duration.between(s.lastContact(), now).toMillis();
                maxAgeMs = Math.max(maxAgeMs, age);
                assertThat(age).as("%s: age of %s's last contact", phase, s.node()).isLessThan(NODE_DOWN_AFTER.toMillis());
            }
            samples++;
            Thread.sleep(50);
        }
        long beats = span.toMillis() / BEAT.toMillis();
        List<String> perHost = new ArrayList<>();
        for (NetnsHost h : kit.hosts) {
            LivenessChannel channel = backend.liveness(Kit.node(h));
            long rounds = channel.rounds() - roundsBefore.get(Kit.node(h));
            perHost.add(Kit.node(h) + ": " + rounds + " rounds, longest " + millis(channel.maxRoundNanos()) + " ms, last "
                    + channel.lastRoundNanos() / 1e6 + " ms");
            // a beat is a fixed delay after the previous one: a window of N beats holds N-1 to N rounds, fewer under
            // load (the figure is logged below; the bound only says the heartbeat kept going)
            assertThat(rounds).as("%s: rounds of %s over %d beats", phase, h, beats).isGreaterThanOrEqualTo(beats / 2);
        }
        LOG.info("{}: {} samples over {} beats of {} ms, all hosts reachable; oldest contact {} ms; {}", phase, samples,
                beats, BEAT.toMillis(), maxAgeMs, perHost);
    }

    @Test
    void aKilledHostIsUnreachableWithinTwoBeats() throws Exception {
        build(BEAT, CHECK);
        startSleepers(1);
        Kit.waiting().until(() -> backend.nodeStatus().stream().allMatch(s -> s.reachable() && s.running().size() == 1));

        long t0 = System.nanoTime();
        kit.netns("h61").killAll();
        await().atMost(BEAT.multipliedBy(2)).pollInterval(Duration.ofMillis(20)).until(() -> !status("h61").reachable());
        LOG.info("a killed host (slow login shell) was unreachable after {} ms (heartbeat {} ms): {}",
                millis(System.nanoTime() - t0), BEAT.toMillis(), status("h61").lastError());
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> exits.isEmpty() && !status("h61").reachable() && status("h62").reachable()
                        && status("h63").reachable());
    }

    @Test
    void aCutOffHostIsFoundOutAndReconnectsWhenHealed() throws Exception {
        build(BEAT, CHECK);
        List<RunningInstance> started = startSleepers(1);
        Kit.waiting().until(() -> backend.nodeStatus().stream().allMatch(s -> s.reachable() && s.running().size() == 1));

        long t0 = System.nanoTime();
        kit.netns("h62").cut();
        // the next round waits CHECK for its answer: found out within a beat and the check timeout
        await().atMost(BEAT.plus(CHECK).plusSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> !status("h62").reachable());
        LOG.info("a cut-off host was unreachable after {} ms: {}", millis(System.nanoTime() - t0), status("h62").lastError());
        assertThat(status("h61").reachable()).isTrue();
        assertThat(status("h63").reachable()).isTrue();

        kit.netns("h62").heal();
        long t1 = System.nanoTime();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> status("h62").reachable());
        LOG.info("healed, it answered again after {} ms (reconnect and one login shell of {} s)",
                millis(System.nanoTime() - t1), LOGIN_SECONDS);
        assertThat(backend.list()).containsExactlyInAnyOrderElementsOf(started);
        assertThat(backend.liveness("h62").opens()).isEqualTo(2);
        assertThat(exits).isEmpty();
    }

    @Test
    void aBrokenChannelIsReopenedWithoutItsHostEverCountingAsSilent() throws Exception {
        build(BEAT, CHECK);
        startSleepers(1);
        Kit.waiting().until(() -> backend.nodeStatus().stream().allMatch(s -> s.reachable() && s.running().size() == 1));
        LivenessChannel channel = backend.liveness("h63");
        assertThat(channel.opens()).isEqualTo(1);

        List<Long> loops = Kit.pidsWithCmdline("BERTH-LIVENESS", kit.netns("h63").baseDir.toString());
        assertThat(loops).as("the liveness loop of h63").hasSize(1);
        NetnsHost.sh("kill", "-9", Long.toString(loops.get(0)));

        // reopening pays the 2 s login shell, twice the check timeout: the host must not count as silent meanwhile
        long end = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        while (System.nanoTime() < end) {
            for (NodeStatus s : backend.nodeStatus()) {
                assertThat(s.reachable()).as("%s (%s)", s.node(), s.lastError()).isTrue();
            }
            Thread.sleep(50);
        }
        assertThat(channel.opens()).isEqualTo(2);
        long rounds = channel.rounds();
        await().atMost(BEAT.multipliedBy(3)).until(() -> channel.rounds() > rounds);
        assertThat(Kit.pidsWithCmdline("BERTH-LIVENESS", kit.netns("h63").baseDir.toString())).hasSize(1);
        assertThat(exits).isEmpty();
    }
}
