// The ZooKeeper state store against a real ZooKeeper server (Curator's TestingServer runs one in-process): records, batches, fencing.
package dev.berth.state.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.StateStoreException;
import dev.berth.spi.AppRecord;
import dev.berth.spi.StateChanges;
import java.time.Duration;
import java.time.Instant;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ZooKeeperStateStoreIT {
    private static final String ROOT = "/berth/test";
    private TestingServer zk;
    private final java.util.List<AutoCloseable> closing = new java.util.ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        zk = new TestingServer(true);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        zk.close();
    }

    private CuratorFramework client() {
        CuratorFramework c = CuratorFrameworkFactory.builder().connectString(zk.getConnectString())
                .sessionTimeoutMs(5000).connectionTimeoutMs(3000).retryPolicy(new ExponentialBackoffRetry(100, 3)).build();
        c.start();
        closing.add(c);
        return c;
    }

    private Leadership leader(CuratorFramework c, String id) throws Exception {
        Leadership l = new Leadership(c, ROOT, id);
        closing.add(l);
        l.start();
        return l;
    }

    private static AppRecord app(String name, String release) {
        return new AppRecord(AppSpec.builder(name).command("serve").instances(2).build(), release, false);
    }

    private static InstanceRecord instance(String id, String app) {
        return new InstanceRecord(id, app, "r1-a", "n1", InstanceState.HEALTHY, null, "h-" + id, 0,
                Instant.parse("2026-12-06T10:00:00Z"), null);
    }

    @Test
    void recordsComeBackAsWrittenAndDeletesGoAway() throws Exception {
        CuratorFramework c = client();
        Leadership l = leader(c, "a");
        await().atMost(Duration.ofSeconds(10)).until(l::isLeader);
        ZooKeeperStateStore store = new ZooKeeperStateStore(c, ROOT, l);
        store.write(StateChanges.builder().saveApp(app("web", "r1-a")).saveApp(app("api", "r1-b"))
                .saveInstance(instance("web-1", "web")).saveInstance(instance("web-2", "web")).saveInstance(instance("api-1", "api"))
                .build());
        store.write(StateChanges.builder().saveApp(app("web", "r2-c")).deleteInstance("web-2").deleteApp("nope").build());

        ZooKeeperStateStore other = new ZooKeeperStateStore(client(), ROOT, "/berth/test/epoch", () -> -1); // a reader
        assertThat(other.loadApps().keySet()).containsExactlyInAnyOrder("web", "api");
        assertThat(other.loadApps().get("web").release()).isEqualTo("r2-c");
        assertThat(other.loadInstances()).extracting(InstanceRecord::id).containsExactlyInAnyOrder("web-1", "api-1");
        assertThat(other.loadInstances()).contains(instance("api-1", "api"));
        assertThatThrownBy(() -> other.write(StateChanges.builder().deleteApp("web").build()))
                .isInstanceOf(StateStoreException.class).hasMessageContaining("not the leader");
        assertThat(other.loadApps()).containsKey("web");

        // a store that has read nothing yet (a new leader's) still deletes what exists
        new ZooKeeperStateStore(c, ROOT, l).write(StateChanges.builder().deleteApp("api").deleteInstance("api-1").build());
        assertThat(other.loadApps().keySet()).containsExactly("web");
        assertThat(other.loadInstances()).extracting(InstanceRecord::id).containsExactly("web-1");
        assertThatThrownBy(() -> store.write(StateChanges.builder().deleteApp("../web").build()))
                .isInstanceOf(StateStoreException.class).hasMessageContaining("cannot be a ZooKeeper node name");
    }

    @Test
    void aLeaderThatLostTheElectionWritesNothing() throws Exception {
        CuratorFramework a = client();
        Leadership first = leader(a, "a");
        await().atMost(Duration.ofSeconds(10)).until(first::isLeader);
        long oldEpoch = first.epoch();
        // a leader paused past its session still believes its old epoch: its store is given exactly that
        ZooKeeperStateStore paused = new ZooKeeperStateStore(a, ROOT, first.epochPath(), () -> oldEpoch);
        paused.write(StateChanges.builder().saveApp(app("web", "r1-a")).build());

        CuratorFramework b = client();
        Leadership second = leader(b, "b");
        first.close(); // the first leaves; the second is elected and moves the epoch
        await().atMost(Duration.ofSeconds(10)).until(second::isLeader);
        assertThat(second.epoch()).isGreaterThan(oldEpoch);

        assertThatThrownBy(() -> paused.write(StateChanges.builder().saveApp(app("web", "r9-z")).saveApp(app("db", "r1-d"))
                .saveInstance(instance("web-9", "web")).build()))
                .isInstanceOf(StateStoreException.class).hasMessageContaining("fenced");
        ZooKeeperStateStore now = new ZooKeeperStateStore(b, ROOT, second);
        assertThat(now.loadApps().keySet()).containsExactly("web"); // nothing of the fenced batch landed
        assertThat(now.loadApps().get("web").release()).isEqualTo("r1-a");
        assertThat(now.loadInstances()).isEmpty();
        now.write(StateChanges.builder().saveApp(app("web", "r2-b")).build());
        assertThat(now.loadApps().get("web").release()).isEqualTo("r2-b");
    }

    @Test
    void theEventIndexGoesOnAtTheNextLeaderAndADeposedLeaderReservesNothing() throws Exception {
        CuratorFramework a = client();
        Leadership first = leader(a, "a");
        await().atMost(Duration.ofSeconds(10)).until(first::isLeader);
        long oldEpoch = first.epoch();
        ZooKeeperEventIndex mine = new ZooKeeperEventIndex(a, ROOT, first.epochPath(), () -> oldEpoch);
        assertThat(mine.reserved()).isZero();
        mine.reserve(10_000);
        mine.reserve(20_000);

        CuratorFramework b = client();
        Leadership second = leader(b, "b");
        first.close();
        await().atMost(Duration.ofSeconds(10)).until(second::isLeader);
        ZooKeeperEventIndex next = new ZooKeeperEventIndex(b, ROOT, second, second.epoch());
        assertThat(next.reserved()).as("where the next leader's API numbers from").isEqualTo(20_000);

        assertThatThrownBy(() -> mine.reserve(30_000)).isInstanceOf(StateStoreException.class).hasMessageContaining("fenced");
        assertThat(next.reserved()).isEqualTo(20_000);
        next.reserve(30_000);
        assertThat(new ZooKeeperEventIndex(a, ROOT, first, oldEpoch).reserved()).isEqualTo(30_000);
        assertThatThrownBy(() -> new ZooKeeperEventIndex(a, ROOT, first, oldEpoch).reserve(40_000))
                .isInstanceOf(StateStoreException.class).hasMessageContaining("not the leader");
    }

    @Test
    void aBatchLargerThanOneTransactionIsWrittenInFencedParts() throws Exception {
        CuratorFramework c = client();
        Leadership l = leader(c, "a");
        await().atMost(Duration.ofSeconds(10)).until(l::isLeader);
        ZooKeeperStateStore store = new ZooKeeperStateStore(c, ROOT, l);
        StateChanges.Builder big = StateChanges.builder();
        for (int i = 0; i < 6000; i++) { // ~1.3 MB of records: over ZooKeeper's 1 MB request limit
            big.saveInstance(instance("web-" + i, "web"));
        }
        store.write(big.build());
        assertThat(store.loadInstances()).hasSize(6000);
    }

    /**
     * A hundred thousand instance records (ten thousand apps of ten) go in and come back whole: in
     * one folder their names alone would pass ZooKeeper's 1 MB answer limit. The times are logged
     * (a figure for docs/ha.md, not a target: that is a benchmark's business).
     */
    @Test
    void aHundredThousandInstanceRecordsGoInBucketsAndComeBackWhole() throws Exception {
        CuratorFramework c = client();
        Leadership l = leader(c, "a");
        await().atMost(Duration.ofSeconds(10)).until(l::isLeader);
        ZooKeeperStateStore store = new ZooKeeperStateStore(c, ROOT, l);
        StateChanges.Builder all = StateChanges.builder();
        for (int app = 0; app < 10_000; app++) {
            for (int i = 1; i <= 10; i++) {
                all.saveInstance(instance("app-" + app + "-" + i, "app-" + app));
            }
        }
        long start = System.nanoTime();
        store.write(all.build());
        long written = System.nanoTime();
        java.util.List<InstanceRecord> back = new ZooKeeperStateStore(client(), ROOT, l).loadInstances();
        long loaded = System.nanoTime();
        org.slf4j.LoggerFactory.getLogger(ZooKeeperStateStoreIT.class).info(
                "100,000 instance records: written in {} ms, loaded by a new store in {} ms",
                (written - start) / 1_000_000, (loaded - written) / 1_000_000);
        assertThat(back).hasSize(100_000);
        assertThat(back).contains(instance("app-9999-10", "app-9999"), instance("app-0-1", "app-0"));
        store.write(StateChanges.builder().deleteInstance("app-0-1").build());
        assertThat(new ZooKeeperStateStore(client(), ROOT, "/berth/test/epoch", () -> -1).loadInstances()).hasSize(99_999);
    }
}
