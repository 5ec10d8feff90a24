// Leader election against a real 3-server ZooKeeper ensemble (Curator's TestingCluster): one leader, failover, quorum loss.
package dev.berth.state.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LeadershipIT {
    private static final int SESSION_MS = 4000;
    private TestingCluster cluster;
    private final List<CuratorFramework> clients = new ArrayList<>();
    private final List<Leadership> controllers = new ArrayList<>();
    private final List<String> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        cluster = new TestingCluster(3);
        cluster.start();
        for (String id : List.of("c1", "c2", "c3")) {
            CuratorFramework c = CuratorFrameworkFactory.builder().connectString(cluster.getConnectString())
                    .sessionTimeoutMs(SESSION_MS).connectionTimeoutMs(2000).retryPolicy(new ExponentialBackoffRetry(100, 10)).build();
            c.start();
            clients.add(c);
            Leadership l = new Leadership(c, "/berth/ha", id);
            l.addListener(new Leadership.Listener() {
                @Override
                public void elected(long epoch) {
                    events.add(id + " elected " + epoch);
                }

                @Override
                public void deposed() {
                    events.add(id + " deposed");
                }
            });
            l.start();
            controllers.add(l);
        }
    }

    @AfterEach
    void stop() throws Exception {
        controllers.forEach(Leadership::close);
        clients.forEach(CuratorFramework::close);
        cluster.close();
    }

    private List<Leadership> leaders() {
        return controllers.stream().filter(Leadership::isLeader).toList();
    }

    @Test
    void oneLeadsAndWhenItsSessionDiesAnotherLeadsWithinTheSessionTimeoutPlusTwoSeconds() throws Exception {
        await().atMost(Duration.ofSeconds(15)).until(() -> leaders().size() == 1);
        Leadership first = leaders().get(0);
        long epoch = first.epoch();
        await().atMost(Duration.ofSeconds(5)).until(() -> controllers.stream()
                .allMatch(l -> l.leader().equals(java.util.Optional.of(first.id()))));
        int index = controllers.indexOf(first);
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        Thread watcher = new Thread(() -> { // never two leaders at once, sampled every millisecond through the failover
            while (!Thread.currentThread().isInterrupted()) {
                most.accumulateAndGet(leaders().size(), Math::max);
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        watcher.start();
        long t0 = System.nanoTime();
        // the leader's machine dies: its session expires on the servers, its client never says goodbye
        clients.get(index).getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
        await().atMost(Duration.ofMillis(SESSION_MS + 2000)).until(() -> leaders().size() == 1 && leaders().get(0) != first);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Leadership second = leaders().get(0);
        assertThat(second.epoch()).isGreaterThan(epoch);
        assertThat(events).contains(first.id() + " deposed");
        assertThat(ms).as("failover").isLessThan(SESSION_MS + 2000);
        watcher.interrupt();
        watcher.join();
        assertThat(most.get()).as("controllers leading at once").isEqualTo(1);
    }

    @Test
    void withoutAQuorumNobodyLeadsAndWhenItReturnsOneDoes() throws Exception {
        await().atMost(Duration.ofSeconds(15)).until(() -> leaders().size() == 1);
        List<InstanceSpec> servers = new ArrayList<>(cluster.getInstances());
        cluster.killServer(servers.get(0));
        cluster.killServer(servers.get(1));
        await().atMost(Duration.ofSeconds(15)).until(() -> leaders().isEmpty());
        assertThat(controllers).allMatch(l -> l.epoch() < 0);
        cluster.restartServer(servers.get(0));
        await().atMost(Duration.ofSeconds(30)).until(() -> leaders().size() == 1);
        assertThat(controllers.stream().filter(Leadership::isLeader).count()).isEqualTo(1);
    }
}
