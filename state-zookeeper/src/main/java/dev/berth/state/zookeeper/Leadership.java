// One controller's part in the election among those sharing a root path: Curator's LeaderLatch, plus the epoch that fences a deposed leader's writes.
package dev.berth.state.zookeeper;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The election ({@code ROOT/leader}, a {@link LeaderLatch}) and the fence ({@code ROOT/epoch}). A
 * controller that becomes leader writes the epoch node in one transaction with a check of its own
 * latch node (which lives only as long as its session): a controller whose session already died
 * cannot take the epoch. The epoch node's version then is this leadership's epoch, and every
 * write of the leader's store is a transaction that checks it. A leader that was paused past its
 * session (GC, SIGSTOP) comes back to find the epoch moved on: none of its writes land. It also
 * steps down as soon as its connection is suspended. Needs Curator's default (standard)
 * connection-state error policy, under which SUSPENDED counts. Thread-safe.
 */
public final class Leadership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

    /** Told when this controller gains or loses the lead. Called on the election's own thread; keep it short. */
    public interface Listener {
        /** This controller leads now; its writes are fenced by {@code epoch}. */
        void elected(long epoch);

        /** It no longer leads (another was elected, or its connection was suspended or lost). */
        void deposed();
    }

    private final CuratorFramework client;
    private final String latchPath;
    private final String epochPath;
    private final String id;
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
    /** Taking the epoch, stepping down, rejoining: one at a time, off ZooKeeper's event thread. */
    private final ExecutorService changes = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "berth-leadership");
        t.setDaemon(true);
        return t;
    });
    private LeaderLatch latch; // guarded by this
    private volatile long epoch = -1;
    private volatile boolean closed;

    /**
     * A participant named {@code id} among the controllers under {@code root}: the leader's id is
     * where the others forward API requests, so make it this controller's API URL (such as
     * {@code http://10.0.0.5:4000}). {@link #start()} joins the election.
     */
    public Leadership(CuratorFramework client, String root, String id) {
        this.client = Objects.requireNonNull(client, "client");
        this.id = Objects.requireNonNull(id, "id");
        ZkRoot.check(root);
        if (!client.getConnectionStateErrorPolicy().isErrorState(ConnectionState.SUSPENDED)) {
            throw new IllegalArgumentException("the Curator client's connection-state error policy must count SUSPENDED "
                    + "as an error (Curator's default, StandardConnectionStateErrorPolicy): a leader must step down then");
        }
        this.latchPath = root + "/leader";
        this.epochPath = root + "/epoch";
        client.getConnectionStateListenable().addListener((c, state) -> {
            if (state == ConnectionState.SUSPENDED || state == ConnectionState.LOST) {
                stepDown("the connection to ZooKeeper is " + state.name().toLowerCase()); // at once, on the event thread
            }
        });
    }

    /** Adds a listener; it is told at once if this controller leads already. */
    public synchronized void addListener(Listener l) {
        listeners.add(l);
        long e = epoch;
        if (e >= 0) {
            l.elected(e);
        }
    }

    /** Joins the election. */
    public synchronized void start() throws Exception {
        latch = newLatch();
        latch.start();
    }

    private LeaderLatch newLatch() {
        LeaderLatch l = new LeaderLatch(client, latchPath, id, LeaderLatch.CloseMode.NOTIFY_LEADER);
        l.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                changes.execute(() -> elected(l));
            }

            @Override
            public void notLeader() {
                stepDown("another controller leads");
            }
        }, changes);
        return l;
    }

    /** The fencing epoch while this controller leads; -1 when it does not. */
    public long epoch() {
        return epoch;
    }

    /** Whether this controller leads now. */
    public boolean isLeader() {
        return epoch >= 0;
    }

    /** The path whose version fences the leader's writes. */
    String epochPath() {
        return epochPath;
    }

    /** This participant's id. */
    public String id() {
        return id;
    }

    /**
     * The leader's id as ZooKeeper had it at most {@value #LEADER_CACHE_MILLIS} ms ago, if there is
     * one (a follower asks on every request it forwards: two ZooKeeper reads each would cost more
     * than the forwarding). This controller's own lead is known at once.
     */
    public Optional<String> leader() {
        if (epoch >= 0) {
            return Optional.of(id);
        }
        long now = System.nanoTime();
        Known k = known;
        if (k != null && now - k.at() < TimeUnit.MILLISECONDS.toNanos(LEADER_CACHE_MILLIS)) {
            return k.leader();
        }
        LeaderLatch l;
        synchronized (this) {
            l = latch;
        }
        Optional<String> found;
        try {
            Participant p = l == null ? null : l.getLeader();
            found = p != null && p.isLeader() ? Optional.of(p.getId()) : Optional.empty();
        } catch (Exception e) {
            found = Optional.empty(); // no quorum: nobody can be known to lead
        }
        known = new Known(found, now);
        return found;
    }

    /** How long a looked-up leader is reused. */
    static final long LEADER_CACHE_MILLIS = 250;

    private record Known(Optional<String> leader, long at) {
    }

    private volatile Known known;

    /** Takes the epoch, if {@code l} still leads and its latch node (its session) still exists. */
    private void elected(LeaderLatch l) {
        synchronized (this) {
            if (closed || l != latch || !l.hasLeadership() || epoch >= 0) {
                return;
            }
        }
        try {
            if (client.checkExists().forPath(epochPath) == null) {
                client.create().orSetData().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT).forPath(epochPath);
            }
            String ours = l.getOurPath();
            java.util.List<CuratorTransactionResult> results = client.transaction().forOperations(
                    client.transactionOp().check().forPath(ours), // still our session's node: not a deposed controller
                    client.transactionOp().setData().forPath(epochPath, id.getBytes(StandardCharsets.UTF_8)));
            long taken = results.get(1).getResultStat().getVersion();
            synchronized (this) {
                if (l != latch || !l.hasLeadership()) {
                    return; // deposed meanwhile: the next leader moves the epoch past this one
                }
                epoch = taken;
            }
            LOG.info("leadership: {} leads with epoch {}", id, taken);
            listeners.forEach(x -> x.elected(taken));
        } catch (Exception e) {
            LOG.warn("leadership: {} won the election but could not take the epoch: {}; rejoining it", id, e.toString());
            rejoin();
        }
    }

    /** Leaves the election and joins it again with a new latch (this controller's lead, if any, ends). */
    void rejoin() {
        changes.execute(() -> {
            LeaderLatch old;
            synchronized (this) {
                if (closed) {
                    return;
                }
                old = latch;
                latch = newLatch();
            }
            stepDown("rejoining the election");
            try {
                old.close(LeaderLatch.CloseMode.SILENT);
            } catch (Exception e) {
                LOG.debug("leadership: closing the old latch: {}", e.toString());
            }
            try {
                synchronized (this) {
                    latch.start();
                }
            } catch (Exception e) {
                LOG.warn("leadership: {} could not rejoin the election: {}", id, e.toString());
            }
        });
    }

    private void stepDown(String why) {
        synchronized (this) {
            if (epoch < 0) {
                return;
            }
            epoch = -1;
        }
        LOG.warn("leadership: {} steps down: {}", id, why);
        listeners.forEach(Listener::deposed);
    }

    /** Leaves the election (a leader steps down first). */
    @Override
    public void close() {
        LeaderLatch l;
        synchronized (this) {
            closed = true;
            l = latch;
        }
        stepDown("it is closing");
        try {
            if (l != null) {
                l.close(LeaderLatch.CloseMode.SILENT); // stepped down already
            }
        } catch (Exception e) {
            LOG.debug("leadership: closing the latch: {}", e.toString());
        }
        changes.shutdownNow();
    }
}
