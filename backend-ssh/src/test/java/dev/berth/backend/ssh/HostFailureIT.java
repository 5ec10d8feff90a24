package dev.berth.backend.ssh;

import static dev.berth.backend.ssh.Kit.req;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.berth.spi.NodeStatus;
import dev.berth.spi.RunningInstance;

/**
 * Hosts that die or drop off the network: the heartbeat marks them unreachable within a few
 * beats while the others stay reachable, reports no exits for their instances (they are unknown,
 * not dead), and a host that comes back is reachable again with its instances and handles.
 */
class HostFailureIT {
    private static final Duration BEAT = Duration.ofMillis(300);
    private Kit kit;
    private SshBackend backend;
    private final List<String> exits = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        kit = Kit.withHosts(31, 3);
        backend = kit.backend().heartbeat(BEAT).checkTimeout(Duration.ofSeconds(1)).build();
        backend.onExit((id, handle, exit) -> exits.add(id + " " + handle + " " + exit));
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

    private NodeStatus status(String node) {
        return backend.nodeStatus().stream().filter(s -> s.node().equals(node)).findFirst().orElseThrow();
    }

    private List<RunningInstance> startSleepers(int perHost) {
        List<RunningInstance> started = new ArrayList<>();
        for (NetnsHost h : kit.hosts) {
            for (int i = 0; i < perHost; i++) {
                started.add(backend.start(req("s" + h.n + "-" + i, Kit.node(h), Kit.sleeper("sleepy").build())));
            }
        }
        return started;
    }

    @Test
    void aDeadHostIsUnreachableWithinAFewBeatsAndItsInstancesAreNotReportedAsExits() throws Exception {
        startSleepers(2);
        Kit.waiting().until(() -> backend.nodeStatus().stream().allMatch(s -> s.reachable() && s.running().size() == 2));

        long t0 = System.nanoTime();
        kit.netns("h31").killAll();
        Instant killedAt = Instant.now(); // once every process is gone: no later answer is possible

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> !status("h31").reachable());
        Duration detected = Duration.ofNanos(System.nanoTime() - t0);
        org.slf4j.LoggerFactory.getLogger(HostFailureIT.class).info("a killed host was unreachable after {} ms "
                + "(heartbeat {} ms): {}", detected.toMillis(), BEAT.toMillis(), status("h31").lastError());
        // the others keep answering, beat after beat, and no exit is reported for anything
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(50))
                .until(() -> exits.isEmpty() && !status("h31").reachable()
                        && status("h32").reachable() && status("h33").reachable()
                        && status("h32").lastContact().isAfter(Instant.now().minus(BEAT.multipliedBy(8)))
                        && status("h33").lastContact().isAfter(Instant.now().minus(BEAT.multipliedBy(8))));
        NodeStatus dead = status("h31");
        assertThat(dead.lastContact()).isBefore(killedAt.plusMillis(1));
        assertThat(dead.running()).hasSize(2); // what it ran when it last answered
        assertThat(backend.list()).extracting(RunningInstance::node).containsOnly("h32", "h33").hasSize(4);
        assertThat(exits).isEmpty();
    }

    @Test
    void aHostCutOffAndHealedIsReachableAgainWithTheSameInstances() throws Exception {
        List<RunningInstance> started = startSleepers(2);
        List<RunningInstance> onH32 = started.stream().filter(i -> i.node().equals("h32")).toList();
        Kit.waiting().until(() -> backend.nodeStatus().stream().allMatch(NodeStatus::reachable));

        kit.netns("h32").cut();
        await().atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(20)).until(() -> !status("h32").reachable());
        assertThat(status("h31").reachable()).isTrue();
        // list() skips it (with a warning), stop of its instance waits for nothing we can see: just list
        assertThat(backend.list()).extracting(RunningInstance::node).doesNotContain("h32").hasSize(4);

        kit.netns("h32").heal();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).until(() -> status("h32").reachable());
        assertThat(backend.list()).containsExactlyInAnyOrderElementsOf(started);
        assertThat(status("h32").running()).containsExactlyInAnyOrderElementsOf(onH32);
        assertThat(exits).isEmpty();
        // and it works as before
        backend.stop(onH32.get(0).instanceId(), Duration.ofSeconds(2));
        assertThat(Kit.processExists(onH32.get(0).handle())).isFalse();
        assertThat(exits).isEmpty();
    }
}
