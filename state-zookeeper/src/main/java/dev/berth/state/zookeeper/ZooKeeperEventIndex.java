// The control API's event index in ZooKeeper: the highest index reserved, written by the leader only (fenced).
package dev.berth.state.zookeeper;

import dev.berth.api.StateStoreException;
import dev.berth.server.EventIndexStore;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * {@code ROOT/event-index} holds the highest event index the leader's API reserved, so the next
 * leader's API numbers its events past every index a client may have seen and resuming streams
 * stay in order across a failover. A reservation is one transaction that checks the leader's
 * epoch first: a deposed leader reserves nothing (its events then get no index). Thread-safe.
 */
public final class ZooKeeperEventIndex implements EventIndexStore {
    private final CuratorFramework client;
    private final String path;
    private final String epochPath;
    private final LongSupplier epoch;

    /** The index under {@code root}, fenced by {@code leadership}'s epoch while it is {@code epoch}. */
    public ZooKeeperEventIndex(CuratorFramework client, String root, Leadership leadership, long epoch) {
        this(client, root, leadership.epochPath(), () -> leadership.epoch() == epoch ? epoch : -1);
    }

    ZooKeeperEventIndex(CuratorFramework client, String root, String epochPath, LongSupplier epoch) {
        this.client = Objects.requireNonNull(client, "client");
        this.path = ZkRoot.check(root) + "/event-index";
        this.epochPath = epochPath;
        this.epoch = epoch;
    }

    @Override
    public long reserved() {
        try {
            if (client.checkExists().forPath(path) == null) {
                return 0;
            }
            return Long.parseLong(new String(client.getData().forPath(path), StandardCharsets.US_ASCII).strip());
        } catch (NumberFormatException e) {
            throw new StateStoreException("ZooKeeper event index " + path + " holds no number: " + e.getMessage(), e);
        } catch (Exception e) {
            throw new StateStoreException("ZooKeeper event index " + path + " cannot be read: " + e, e);
        }
    }

    @Override
    public void reserve(long upTo) {
        long fence = epoch.getAsLong();
        if (fence < 0) {
            throw new StateStoreException("not the leader: this controller reserves no event indexes (fenced)", null);
        }
        byte[] value = Long.toString(upTo).getBytes(StandardCharsets.US_ASCII);
        try {
            var check = client.transactionOp().check().withVersion((int) fence).forPath(epochPath);
            var write = client.checkExists().forPath(path) == null ? client.transactionOp().create().forPath(path, value)
                    : client.transactionOp().setData().forPath(path, value);
            client.transaction().forOperations(check, write);
        } catch (KeeperException.BadVersionException e) {
            throw new StateStoreException("fenced: another controller leads now; no event index was reserved", e);
        } catch (Exception e) {
            throw new StateStoreException("ZooKeeper event index " + path + " cannot be written: " + e, e);
        }
    }

    @Override
    public String toString() {
        return "zookeeper:" + path;
    }
}
