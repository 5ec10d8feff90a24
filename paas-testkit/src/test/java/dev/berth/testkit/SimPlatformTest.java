// A real Platform over SimBackend: it respawns crashes, moves work off a silent node, adopts on restart.
package dev.berth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.NodeSpec;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.core.Platform;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimPlatformTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final List<NodeSpec> NODES = List.of(NodeSpec.of("n1", Resources.of(16, 65536)),
            NodeSpec.of("n2", Resources.of(16, 65536)));

    @TempDir
    Path state;

    private final List<PlatformEvent> events = new CopyOnWriteArrayList<>();
    private final SimBackend sim = SimBackend.builder().nodes(List.of("n1", "n2")).build();
    private Platform platform;

    private Platform platform(SimBackend backend) {
        return Platform.builder().cluster(NODES).backend(backend).stateDir(state).nodeDownAfter(Duration.ofMillis(300))
                .listener(events::add).build();
    }

    @AfterEach
    void close() {
        if (platform != null) {
            platform.close();
        }
    }

    private List<InstanceRecord> healthy() {
        return platform.app("web").records().stream()
                .filter(r -> r.state() == InstanceState.HEALTHY).toList();
    }

    private void deployTwo() {
        platform = platform(sim);
        platform.deploy(AppSpec.builder("web").command("serve").instances(2).resources(Resources.of(1, 256)).build());
        await().atMost(WAIT).until(() -> healthy().size() == 2 && sim.list().size() == 2);
    }

    @Test
    void aCrashIsRespawned() {
        deployTwo();
        InstanceRecord victim = healthy().get(0);

        sim.kill(victim.id(), 1);

        await().atMost(WAIT).until(() -> platform.app("web").records().stream()
                .anyMatch(r -> r.id().equals(victim.id()) && r.restarts() == 1 && r.state() == InstanceState.HEALTHY));
        assertThat(events).anyMatch(e -> e instanceof PlatformEvent.InstanceExited x && x.instance().equals(victim.id())
                && x.exit().code() == 1);
        assertThat(sim.list()).hasSize(2);
    }

    @Test
    void theInstancesOfASilentNodeAreStartedOnTheOther() {
        deployTwo();
        String lostNode = healthy().get(0).node();
        String otherNode = lostNode.equals("n1") ? "n2" : "n1";

        sim.setNodeAlive(lostNode, false);

        await().atMost(WAIT).until(() -> healthy().size() == 2 && healthy().stream().allMatch(r -> r.node().equals(otherNode)));
        assertThat(events).anyMatch(e -> e instanceof PlatformEvent.NodeDown d && d.node().equals(lostNode));
        assertThat(events).anyMatch(e -> e instanceof PlatformEvent.InstanceLost l && l.node().equals(lostNode));
        assertThat(platform.cluster().nodes()).as("the cluster view shows what the loop knows")
                .anySatisfy(n -> assertThat(n.spec().id().equals(lostNode) && !n.up()).isTrue())
                .anySatisfy(n -> assertThat(n.spec().id().equals(otherNode) && n.up()).isTrue());

        sim.setNodeAlive(lostNode, true);

        await().atMost(WAIT).until(() -> sim.runningOn(lostNode).isEmpty());
        await().atMost(WAIT).until(() -> platform.cluster().nodes().stream().allMatch(n -> n.up()));
        assertThat(events).anyMatch(e -> e instanceof PlatformEvent.StaleInstanceStopped s && s.node().equals(lostNode));
    }

    @Test
    void aNewPlatformAdoptsWithoutRestarting() {
        deployTwo();
        platform.close();
        long starts = sim.startCount();
        events.clear();

        platform = platform(sim.reopen());

        await().atMost(WAIT).until(() -> healthy().size() == 2);
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.InstanceAdopted).hasSize(2);
        assertThat(sim.startCount()).isEqualTo(starts);
    }
}
