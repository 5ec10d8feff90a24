// The controllers' credentials close their nodes: without them nothing of the state can be read, written or led.
package dev.berth.state.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.StateStoreException;
import dev.berth.spi.AppRecord;
import dev.berth.spi.StateChanges;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ZooKeeperClients} against a real ZooKeeper server (in-process): digest credentials and creator-only ACLs. */
class ZooKeeperAclIT {
    private static final String ROOT = "/berth/acl";
    private static final String CREDENTIALS = "berth:correct-horse-battery";
    private TestingServer zk;
    private final List<AutoCloseable> closing = new ArrayList<>();

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

    private CuratorFramework client(Optional<String> credentials) {
        CuratorFramework c = ZooKeeperClients.start(zk.getConnectString(), Duration.ofSeconds(5), credentials);
        closing.add(c);
        return c;
    }

    @Test
    void withoutTheControllersCredentialsNothingCanBeReadWrittenOrLed() throws Exception {
        CuratorFramework controller = client(Optional.of(CREDENTIALS));
        Leadership leadership = new Leadership(controller, ROOT, "http://10.0.0.5:4000");
        closing.add(leadership);
        leadership.start();
        await().atMost(Duration.ofSeconds(10)).until(leadership::isLeader);
        ZooKeeperStateStore store = new ZooKeeperStateStore(controller, ROOT, leadership);
        store.write(StateChanges.builder().saveApp(new AppRecord(AppSpec.builder("web").command("serve").build(), "r1-a", false))
                .build());

        for (Optional<String> stranger : List.of(Optional.<String>empty(), Optional.of("berth:wrong-password-12"))) {
            CuratorFramework other = client(stranger);
            assertThatThrownBy(() -> other.getChildren().forPath(ROOT + "/apps")).isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> other.getData().forPath(ROOT + "/apps/web")).isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> other.setData().forPath(ROOT + "/epoch", new byte[0]))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> other.create().forPath(ROOT + "/leader/_c_forged-latch-0000000099", "http://evil:1".getBytes()))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> new ZooKeeperStateStore(other, ROOT, "/berth/acl/epoch", () -> -1).loadApps())
                    .isInstanceOf(StateStoreException.class).hasMessageContaining("NoAuth");
        }
        CuratorFramework peer = client(Optional.of(CREDENTIALS)); // another controller: same credentials
        assertThat(new ZooKeeperStateStore(peer, ROOT, "/berth/acl/epoch", () -> -1).loadApps()).containsOnlyKeys("web");
        Leadership follower = new Leadership(peer, ROOT, "http://10.0.0.6:4000");
        closing.add(follower);
        follower.start(); // joins the election: its latch node is made with the same ACL
        await().atMost(Duration.ofSeconds(10)).until(() -> follower.leader().equals(Optional.of("http://10.0.0.5:4000")));
        assertThat(follower.isLeader()).isFalse();

        assertThatThrownBy(() -> ZooKeeperClients.checkCredentials("berth:short"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("12-200 printable").hasMessageNotContaining("short");
        assertThatThrownBy(() -> ZooKeeperClients.checkCredentials("no-colon-at-all-here"))
                .hasMessageContaining("USER:PASSWORD");
    }
}
