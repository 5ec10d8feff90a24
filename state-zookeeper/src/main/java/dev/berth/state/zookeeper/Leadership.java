// One controller's part in the election among those sharing a root path: Curator's LeaderLatch, plus the epoch that fences a deposed leader's writes.
package dev.berth.state.zookeeper;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The election ({@code ROOT/leader}, a {@link LeaderLatch}) and the fence ({@code ROOT/epoch}). A
 * controller that becomes leader writes the epoch node; its version then is this leadership's
 * epoch, and every write of the leader's store is a transaction that checks it. A leader that was
 * paused past its session (GC, SIGSTOP) comes back to find the epoch moved on: none of its writes
 * land. It also steps down the moment its connection is suspended, before it even learns that.
 * Thread-safe.
 */
public final class Leadership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

    /** Told when this controller gains or loses the lead. Called on Curator's threads; keep it short. */
    public interface Listener {
        /** This controller leads now; its writes are fenced by {@code epoch}. */
        void elected(long epoch);

        /** It no longer leads (another was elected, or its connection was suspended or lost). */
        void deposed();
    }

    private final CuratorFramework client;
    private final String epochPath;
    private final String id;
    private final LeaderLatch latch;
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
    private volatile long epoch = -1;

    /**
     * A participant named {@code id} (shown as the leader's name, e.g. its API address) among the
     * controllers under {@code root}. {@link #start()} joins the election.
     */
    public Leadership(CuratorFramework client, String root, String id) {
        this.client = Objects.requireNonNull(client, "client");
        this.id = Objects.requireNonNull(id, "id");
        ZkRoot.check(root);
        this.epochPath = root + "/epoch";
        this.latch = new LeaderLatch(client, root + "/leader", id, LeaderLatch.CloseMode.NOTIFY_LEADER);
        latch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                elected();
            }

            @Override
            public void notLeader() {
                stepDown("another controller leads");
            }
        });
        client.getConnectionStateListenable().addListener((c, state) -> {
            if (state == ConnectionState.SUSPENDED || state == ConnectionState.LOST) {
                stepDown("the connection to ZooKeeper is " + state.name().toLowerCase());
            }
        });
    }

    /** Adds a listener; it is told at once if this controller leads already. */
    public void addListener(Listener l) {
        listeners.add(l);
        long e = epoch;
        if (e >= 0) {
            l.elected(e);
        }
    }

    /** Joins the election. */
    public void start() throws Exception {
        latch.start();
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

    /** The leader's id as ZooKeeper has it now, if there is one. */
    public Optional<String> leader() {
        try {
            Participant p = latch.getLeader();
            return p != null && p.isLeader() ? Optional.of(p.getId()) : Optional.empty();
        } catch (Exception e) {
            return Optional.empty(); // no quorum: nobody can be known to lead
        }
    }

    private synchronized void elected() {
        try {
            Stat stat;
            try {
                stat = client.setData().forPath(epochPath, id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (KeeperException.NoNodeException first) {
                client.create().orSetData().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT)
                        .forPath(epochPath, id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                stat = client.setData().forPath(epochPath, id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            if (!latch.hasLeadership()) {
                return; // lost it meanwhile: the epoch moved, and whoever leads now moves it again
            }
            epoch = stat.getVersion();
            LOG.info("leadership: {} leads with epoch {}", id, epoch);
            listeners.forEach(l -> l.elected(epoch));
        } catch (Exception e) {
            LOG.warn("leadership: {} won the election but could not take the epoch: {}; giving it up", id, e.toString());
            stepDown("the epoch could not be taken");
            try {
                latch.close(LeaderLatch.CloseMode.SILENT);
                latch.start();
            } catch (Exception again) {
                LOG.warn("leadership: {} could not rejoin the election: {}", id, again.toString());
            }
        }
    }

    private synchronized void stepDown(String why) {
        if (epoch < 0) {
            return;
        }
        epoch = -1;
        LOG.warn("leadership: {} steps down: {}", id, why);
        listeners.forEach(Listener::deposed);
    }

    /** Leaves the election (a leader steps down first). */
    @Override
    public void close() {
        stepDown("it is closing");
        try {
            latch.close();
        } catch (Exception e) {
            LOG.debug("leadership: closing the latch: {}", e.toString());
        }
    }
}
