// The platform's state in ZooKeeper: one znode per app and per instance record, each batch one transaction fenced by the leader's epoch.
package dev.berth.state.zookeeper;

import dev.berth.api.InstanceRecord;
import dev.berth.api.StateStoreException;
import dev.berth.core.StateRecords;
import dev.berth.spi.AppRecord;
import dev.berth.spi.StateChanges;
import dev.berth.spi.StateStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * A {@link StateStore} under {@code ROOT/apps/NAME} and {@code ROOT/instances/BUCKET/ID} (256
 * buckets by the id's hash, so no folder lists more than a few thousand names at a million
 * instances, below ZooKeeper's 1 MB answer), each znode one
 * record's JSON ({@link StateRecords}, as the file store writes it; an app record with its deploy
 * history stays far below ZooKeeper's 1 MB). {@link #write} sends a batch as one ZooKeeper
 * transaction ({@code multi}) that first checks the epoch node's version against the leader's
 * epoch: a controller that is no longer the leader, or never was, writes nothing, and gets a
 * {@link StateStoreException} saying it was fenced. A batch larger than {@value #MAX_TRANSACTION_BYTES}
 * bytes (ZooKeeper's request limit is 1 MB) is sent as several transactions, each fenced and
 * atomic, in order: the one exception to the SPI's all-or-nothing batch (a failure part-way leaves
 * the parts before it written, and says so). The loop's batches are far smaller but for a mass
 * start; each record stays valid on its own. Loading lists the folders, then reads the records
 * asynchronously, {@value #READS_IN_FLIGHT} at a time. Thread-safe.
 */
public final class ZooKeeperStateStore implements StateStore {
    /** The most bytes of records in one transaction. */
    static final int MAX_TRANSACTION_BYTES = 768 * 1024;
    /** The instance folder's buckets, {@code 00} to {@code ff}. */
    static final int BUCKETS = 256;
    /** Reads sent before their answers come back, while loading. */
    static final int READS_IN_FLIGHT = 2000;
    /** How long loading may take before it fails. */
    private static final long LOAD_TIMEOUT_SECONDS = 300;
    private static final java.util.regex.Pattern NODE = java.util.regex.Pattern.compile("(?!\\.{1,2}$)[A-Za-z0-9._-]{1,253}");
    private final CuratorFramework client;
    private final String apps;
    private final String instances;
    private final String epochPath;
    private final LongSupplier epoch;
    /** The record znodes known to exist (create or set is decided by it); guarded by this. */
    private final Set<String> known = new HashSet<>();

    /**
     * A store under {@code root} whose writes are fenced by {@code leadership}'s epoch. The client
     * must be started; it is not closed with the store.
     */
    public ZooKeeperStateStore(CuratorFramework client, String root, Leadership leadership) {
        this(client, root, leadership.epochPath(), leadership::epoch);
    }

    ZooKeeperStateStore(CuratorFramework client, String root, String epochPath, LongSupplier epoch) {
        this.client = Objects.requireNonNull(client, "client");
        ZkRoot.check(root);
        this.apps = root + "/apps";
        this.instances = root + "/instances";
        this.epochPath = epochPath;
        this.epoch = epoch;
        try {
            for (String dir : List.of(apps, instances)) {
                if (client.checkExists().forPath(dir) == null) {
                    client.create().orSetData().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT).forPath(dir);
                }
            }
            makeBuckets();
        } catch (Exception e) {
            throw new StateStoreException("ZooKeeper state under " + root + ": cannot make its folders: " + e, e);
        }
    }

    /** Makes the buckets that are missing, in one transaction (empty folders: no fence needed; a race is retried). */
    private void makeBuckets() throws Exception {
        for (int attempt = 0; ; attempt++) {
            Set<String> there = new HashSet<>(client.getChildren().forPath(instances));
            List<CuratorOp> ops = new ArrayList<>();
            for (int b = 0; b < BUCKETS; b++) {
                String name = String.format("%02x", b);
                if (!there.contains(name)) {
                    ops.add(client.transactionOp().create().withMode(CreateMode.PERSISTENT).forPath(instances + "/" + name));
                }
            }
            if (ops.isEmpty()) {
                return;
            }
            try {
                client.transaction().forOperations(ops);
                return;
            } catch (KeeperException.NodeExistsException e) {
                if (attempt > 2) {
                    throw e;
                }
            }
        }
    }

    /** Where instance {@code id}'s record lives: its bucket by the id's hash (String.hashCode, fixed by the JLS). */
    private String instancePath(String id) {
        return instances + "/" + String.format("%02x", id.hashCode() & (BUCKETS - 1)) + "/" + id;
    }

    @Override
    public Map<String, AppRecord> loadApps() {
        Map<String, AppRecord> out = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : children(List.of(apps)).entrySet()) {
            AppRecord app = StateRecords.app(e.getValue(), "ZooKeeper node " + e.getKey());
            if (!(apps + "/" + app.name()).equals(e.getKey())) {
                throw new StateStoreException("ZooKeeper node " + e.getKey() + " holds app '" + app.name() + "'", null);
            }
            out.put(app.name(), app);
        }
        return out;
    }

    @Override
    public List<InstanceRecord> loadInstances() {
        List<InstanceRecord> out = new ArrayList<>();
        List<String> buckets = new ArrayList<>();
        for (int b = 0; b < BUCKETS; b++) {
            buckets.add(instances + "/" + String.format("%02x", b));
        }
        for (Map.Entry<String, byte[]> e : children(buckets).entrySet()) {
            InstanceRecord r = StateRecords.instance(e.getValue(), "ZooKeeper node " + e.getKey());
            if (!instancePath(r.id()).equals(e.getKey())) {
                throw new StateStoreException("ZooKeeper node " + e.getKey() + " holds instance '" + r.id() + "'", null);
            }
            out.add(r);
        }
        return out;
    }

    /** The paths in each of {@code dirs}, in their order: every listing asked for at once, answered asynchronously. */
    private List<List<String>> listings(List<String> dirs) throws Exception {
        List<java.util.concurrent.CompletableFuture<List<String>>> asked = new ArrayList<>();
        for (String dir : dirs) {
            java.util.concurrent.CompletableFuture<List<String>> f = new java.util.concurrent.CompletableFuture<>();
            client.getChildren().inBackground((c, event) -> {
                KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
                if (code == KeeperException.Code.OK) {
                    f.complete(event.getChildren().stream().map(name -> dir + "/" + name).toList());
                } else {
                    f.completeExceptionally(KeeperException.create(code, dir));
                }
            }).forPath(dir);
            asked.add(f);
        }
        List<List<String>> out = new ArrayList<>();
        for (java.util.concurrent.CompletableFuture<List<String>> f : asked) {
            try {
                out.add(f.get(LOAD_TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS));
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }
        return out;
    }

    /**
     * Every record in the folders {@code dirs}, by path: the folders listed one by one, the records
     * read asynchronously, at most {@link #READS_IN_FLIGHT} at a time (a record deleted between the
     * listing and its read is left out), in the order listed.
     */
    private synchronized Map<String, byte[]> children(List<String> dirs) {
        List<String> paths = new ArrayList<>();
        try {
            for (List<String> names : listings(dirs)) {
                paths.addAll(names);
            }
            Map<String, byte[]> read = new java.util.concurrent.ConcurrentHashMap<>();
            java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(READS_IN_FLIGHT);
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(paths.size());
            java.util.concurrent.atomic.AtomicReference<Exception> failure = new java.util.concurrent.atomic.AtomicReference<>();
            for (String p : paths) {
                window.acquire();
                client.getData().inBackground((c, event) -> {
                    try {
                        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
                        if (code == KeeperException.Code.OK) {
                            read.put(p, event.getData());
                        } else if (code != KeeperException.Code.NONODE) {
                            failure.compareAndSet(null, KeeperException.create(code, p));
                        }
                    } finally {
                        window.release();
                        done.countDown();
                    }
                }).forPath(p);
            }
            if (!done.await(LOAD_TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new StateStoreException("ZooKeeper state " + dirs.get(0) + "...: " + done.getCount() + " of " + paths.size()
                        + " records unread after " + LOAD_TIMEOUT_SECONDS + " s", null);
            }
            if (failure.get() != null) {
                throw failure.get();
            }
            Map<String, byte[]> out = new LinkedHashMap<>();
            for (String p : paths) {
                byte[] data = read.get(p);
                if (data != null) {
                    out.put(p, data);
                    known.add(p);
                } else {
                    known.remove(p); // deleted between the list and the read
                }
            }
            return out;
        } catch (StateStoreException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StateStoreException("interrupted while loading the ZooKeeper state", e);
        } catch (Exception e) {
            throw new StateStoreException("ZooKeeper state " + (dirs.size() == 1 ? dirs.get(0) : instances) + " cannot be read: "
                    + e, e);
        }
    }

    @Override
    public synchronized void write(StateChanges changes) {
        if (changes.isEmpty()) {
            return;
        }
        changes.savedApps().forEach(a -> node(a.name()));
        changes.deletedApps().forEach(ZooKeeperStateStore::node);
        changes.savedInstances().forEach(i -> node(i.id()));
        changes.deletedInstances().forEach(ZooKeeperStateStore::node);
        Map<String, byte[]> saves = new LinkedHashMap<>();
        changes.savedApps().forEach(a -> saves.put(apps + "/" + a.name(), StateRecords.encode(a)));
        changes.savedInstances().forEach(i -> saves.put(instancePath(i.id()), StateRecords.encode(i)));
        List<String> deletes = new ArrayList<>();
        changes.deletedApps().forEach(n -> deletes.add(apps + "/" + n));
        changes.deletedInstances().forEach(id -> deletes.add(instancePath(id)));
        List<List<String>> chunks = chunks(saves, deletes);
        for (int i = 0; i < chunks.size(); i++) {
            try {
                commit(chunks.get(i), saves);
            } catch (StateStoreException e) {
                if (i == 0) {
                    throw e;
                }
                throw new StateStoreException("part " + (i + 1) + " of " + chunks.size() + " of a large batch was not written "
                        + "(the parts before it were): " + e.getMessage(), e);
            }
        }
    }

    /** A record's name as a znode name: app names and instance ids are such names; anything else is refused. */
    private static String node(String name) {
        if (name == null || !NODE.matcher(name).matches()) {
            throw new StateStoreException("'" + name + "' cannot be a ZooKeeper node name (1-253 of A-Z a-z 0-9 . _ -, "
                    + "not . or ..); nothing of this batch was written", null);
        }
        return name;
    }

    /** The paths of a batch in transactions of at most {@link #MAX_TRANSACTION_BYTES} of records. */
    private static List<List<String>> chunks(Map<String, byte[]> saves, List<String> deletes) {
        List<List<String>> chunks = new ArrayList<>();
        List<String> current = new ArrayList<>();
        long bytes = 0;
        List<String> all = new ArrayList<>(saves.keySet());
        all.addAll(deletes);
        for (String path : all) {
            int size = (saves.containsKey(path) ? saves.get(path).length : 0) + path.length() + 64;
            if (!current.isEmpty() && bytes + size > MAX_TRANSACTION_BYTES) {
                chunks.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(path);
            bytes += size;
        }
        chunks.add(current);
        return chunks;
    }

    /** One fenced transaction; a stale idea of which znodes exist is refreshed and the transaction tried once more. */
    private void commit(List<String> paths, Map<String, byte[]> saves) {
        long fence = epoch.getAsLong();
        if (fence < 0) {
            throw new StateStoreException("not the leader: this controller's writes are refused (fenced)", null);
        }
        for (int attempt = 0; ; attempt++) {
            try {
                List<CuratorOp> ops = new ArrayList<>();
                ops.add(client.transactionOp().check().withVersion((int) fence).forPath(epochPath));
                for (String p : paths) {
                    byte[] data = saves.get(p);
                    if (data == null) {
                        // a record the cache does not know may still exist (a write whose answer was lost)
                        if (known.contains(p) || client.checkExists().forPath(p) != null) {
                            ops.add(client.transactionOp().delete().forPath(p));
                        }
                    } else if (known.contains(p)) {
                        ops.add(client.transactionOp().setData().forPath(p, data));
                    } else {
                        ops.add(client.transactionOp().create().withMode(CreateMode.PERSISTENT).forPath(p, data));
                    }
                }
                client.transaction().forOperations(ops);
                for (String p : paths) {
                    if (saves.containsKey(p)) {
                        known.add(p);
                    } else {
                        known.remove(p);
                    }
                }
                return;
            } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
                if (e instanceof KeeperException.BadVersionException || !refresh(paths) || attempt > 0) {
                    throw fencedOr(e);
                }
            } catch (KeeperException.NodeExistsException e) {
                if (!refresh(paths) || attempt > 0) {
                    throw new StateStoreException("ZooKeeper state write failed: " + e, e);
                }
            } catch (Exception e) {
                throw new StateStoreException("ZooKeeper state write failed (nothing of this batch was written): " + e, e);
            }
        }
    }

    /** Re-reads which of {@code paths} exist; false when the epoch node is gone (then it is not a stale cache). */
    private boolean refresh(List<String> paths) {
        try {
            if (client.checkExists().forPath(epochPath) == null) {
                return false;
            }
            for (String p : paths) {
                if (client.checkExists().forPath(p) != null) {
                    known.add(p);
                } else {
                    known.remove(p);
                }
            }
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private StateStoreException fencedOr(Exception e) {
        try {
            if (client.checkExists().forPath(epochPath) != null) {
                return new StateStoreException("fenced: another controller leads now (the epoch moved past "
                        + epoch.getAsLong() + "); nothing of this batch was written", e);
            }
        } catch (Exception ignored) {
            // the cause says enough
        }
        return new StateStoreException("ZooKeeper state write failed (nothing of this batch was written): " + e, e);
    }
}
