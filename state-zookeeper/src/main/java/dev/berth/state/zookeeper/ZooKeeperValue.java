// One small text value under the controllers' root that only the leader writes: each write fenced by its epoch.
package dev.berth.state.zookeeper;

import dev.berth.api.StateStoreException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;

/**
 * {@code ROOT/NAME} holds a short text (at most 64 KiB) that the leader keeps for the next one,
 * such as the API's event index or a digest of what it applied. Reads are plain; a write is one
 * transaction that checks the leader's epoch first, so a deposed leader's write fails and changes
 * nothing. Thread-safe.
 */
public final class ZooKeeperValue {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    private static final int MAX_BYTES = 64 * 1024;
    private final CuratorFramework client;
    private final String path;
    private final String epochPath;
    private final LongSupplier epoch;

    /** The value {@code name} (a-z 0-9 -) under {@code root}, written while {@code leadership}'s epoch is {@code epoch}. */
    public ZooKeeperValue(CuratorFramework client, String root, String name, Leadership leadership, long epoch) {
        this(client, root, name, leadership.epochPath(), () -> leadership.epoch() == epoch ? epoch : -1);
    }

    ZooKeeperValue(CuratorFramework client, String root, String name, String epochPath, LongSupplier epoch) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("ZooKeeper value name '" + name + "' is not allowed: 1-63 of a-z 0-9 -, "
                    + "starting with a letter");
        }
        this.client = Objects.requireNonNull(client, "client");
        this.path = ZkRoot.check(root) + "/" + name;
        this.epochPath = epochPath;
        this.epoch = epoch;
    }

    /** The value as last written; empty when it never was. */
    public Optional<String> read() {
        try {
            if (client.checkExists().forPath(path) == null) {
                return Optional.empty();
            }
            return Optional.of(new String(client.getData().forPath(path), StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new StateStoreException("ZooKeeper value " + path + " cannot be read: " + e, e);
        }
    }

    /** Writes {@code value} if this controller still leads with its epoch; else throws, writing nothing. */
    public void write(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_BYTES) {
            throw new IllegalArgumentException("ZooKeeper value " + path + ": " + bytes.length + " bytes is not allowed: at most "
                    + MAX_BYTES);
        }
        long fence = epoch.getAsLong();
        if (fence < 0) {
            throw new StateStoreException("not the leader: this controller's write of " + path + " is refused (fenced)", null);
        }
        try {
            var check = client.transactionOp().check().withVersion((int) fence).forPath(epochPath);
            var write = client.checkExists().forPath(path) == null ? client.transactionOp().create().forPath(path, bytes)
                    : client.transactionOp().setData().forPath(path, bytes);
            client.transaction().forOperations(check, write);
        } catch (org.apache.zookeeper.KeeperException.BadVersionException e) {
            throw new StateStoreException("fenced: another controller leads now; " + path + " was not written", e);
        } catch (Exception e) {
            throw new StateStoreException("ZooKeeper value " + path + " cannot be written: " + e, e);
        }
    }

    @Override
    public String toString() {
        return "zookeeper:" + path;
    }
}
