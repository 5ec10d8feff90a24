// The control API's event index in ZooKeeper: the highest index reserved, written by the leader only (fenced).
package dev.berth.state.zookeeper;

import dev.berth.api.StateStoreException;
import dev.berth.server.EventIndexStore;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;

/**
 * {@code ROOT/event-index} holds the highest event index the leader's API reserved, so the next
 * leader's API numbers its events past every index a client may have seen and resuming streams
 * stay in order across a failover. A reservation is fenced by the leader's epoch
 * ({@link ZooKeeperValue}): a deposed leader reserves nothing (its events then get no index).
 * Thread-safe.
 */
public final class ZooKeeperEventIndex implements EventIndexStore {
    private final ZooKeeperValue value;

    /** The index under {@code root}, fenced by {@code leadership}'s epoch while it is {@code epoch}. */
    public ZooKeeperEventIndex(CuratorFramework client, String root, Leadership leadership, long epoch) {
        this.value = new ZooKeeperValue(client, root, "event-index", leadership, epoch);
    }

    ZooKeeperEventIndex(CuratorFramework client, String root, String epochPath, LongSupplier epoch) {
        this.value = new ZooKeeperValue(client, root, "event-index", epochPath, epoch);
    }

    @Override
    public long reserved() {
        String text = value.read().orElse("0").strip();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new StateStoreException(value + " holds no number: '" + text + "'", e);
        }
    }

    @Override
    public void reserve(long upTo) {
        value.write(Long.toString(upTo));
    }

    @Override
    public String toString() {
        return value.toString();
    }
}
