// Two controllers on one machine sharing real ZooKeeper and the process backend: the leader's session dies, the other adopts its instances.
package dev.berth.state.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes, a real ZooKeeper server (in-process): only the leader runs a platform; when its
 * session expires the other controller is elected, loads the state the first one wrote and adopts
 * the same processes (same handles, no restart), and goes on.
 */
class HaControllerIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    Path tmp;
    private TestingServer zk;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final List<CuratorFramework> clients = new ArrayList<>();
    private final List<Platform> built = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        zk = new TestingServer(true);
    }

    @AfterEach
    void stop() throws Exception {
        // whatever the test did: the processes end with it (through the last platform built, by the shared base dir)
        for (Platform p : built) {
            try {
                p.stopAll(Duration.ofSeconds(30));
            } catch (RuntimeException closed) {
                // closed on a step-down: the next leader's stops them
            }
        }
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        zk.close();
    }

    private HaController controller(String id) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.builder().connectString(zk.getConnectString())
                .sessionTimeoutMs(4000).connectionTimeoutMs(2000).retryPolicy(new ExponentialBackoffRetry(100, 5)).build();
        client.start();
        closing.add(client);
        clients.add(client);
        HaController c = HaController.builder().client(client).root("/berth/ha").id(id)
                .platform(store -> Platform.builder().node(NodeSpec.of("local", Resources.builder().cpu(8).build()))
                        .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                        .stateStore(store).dataDir(tmp.resolve("data-" + id)).build())
                .onLead(built::add)
                .build();
        closing.add(c);
        c.start();
        return c;
    }

    private static Map<String, String> handles(Platform p) {
        return p.instances("web").stream().map(i -> i.record())
                .collect(Collectors.toMap(InstanceRecord::id, r -> String.valueOf(r.handle())));
    }

    @Test
    void whenTheLeadersSessionDiesTheOtherAdoptsItsInstancesWithoutARestart() throws Exception {
        HaController first = controller("c1");
        await().atMost(WAIT).until(() -> first.platform().isPresent());
        HaController second = controller("c2");
        Platform p1 = first.platform().orElseThrow();
        p1.deploy(AppSpec.builder("web").command("sh", "-c", "exec sleep 300").instances(2).build());
        await().atMost(WAIT).until(() -> p1.instances("web").size() == 2 && p1.instances("web").stream()
                .allMatch(i -> i.record().state() == InstanceState.HEALTHY));
        Map<String, String> before = handles(p1);
        assertThat(second.platform()).as("a follower runs no platform").isEmpty();

        clients.get(0).getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration(); // c1's machine "dies"
        await().atMost(Duration.ofSeconds(10)).until(() -> second.platform().isPresent() && first.platform().isEmpty());
        Platform p2 = second.platform().orElseThrow();
        await().atMost(WAIT).until(() -> p2.instances("web").size() == 2 && p2.instances("web").stream()
                .allMatch(i -> i.record().state() == InstanceState.HEALTHY));
        assertThat(handles(p2)).as("the same processes, adopted").isEqualTo(before);
        assertThat(p2.instances("web")).allMatch(i -> i.record().restarts() == 0);

        p2.scale("web", Instances.of(3)); // the new leader writes and acts
        await().atMost(WAIT).until(() -> p2.instances("web").stream().filter(i -> i.record().state() == InstanceState.HEALTHY)
                .count() == 3);
    }
}
