// What the SSH backend knows of instances: which it tracks, the host each was last seen on, which it ended on purpose.
package dev.berth.backend.ssh;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.spi.RunningInstance;
import dev.berth.support.IdLocks;

/**
 * What one backend knows of instances: the ones it believes run ({@link TrackedRemote}, by id),
 * the host each id was last seen on (kept after exits: logs and exec still work), the handles it
 * stopped or killed on purpose lately (tombstones: a round that listed them before must not adopt
 * them again), and a lock per instance id that serializes the operations on one id.
 * Thread-safe.
 */
final class KnownInstances {
    private static final Logger LOG = LoggerFactory.getLogger(KnownInstances.class);
    private static final Duration TOMBSTONE_TTL = Duration.ofMinutes(5);

    private final Map<String, TrackedRemote> tracked = new ConcurrentHashMap<>();
    /** The host each instance id was last seen on, by id. */
    private final Map<String, String> homes = new ConcurrentHashMap<>();
    private final IdLocks locks = new IdLocks();
    /** Handles stopped or killed on purpose, to when (System.nanoTime). */
    private final Map<String, Long> tombstones = new ConcurrentHashMap<>();

    /** Holds the lock of the instance id until the returned lock is closed. */
    IdLocks.Held lock(String id) {
        return locks.lock(id);
    }

    /** Whether an operation on the id holds (or waits for) its lock. */
    boolean isLocked(String id) {
        return locks.isLocked(id);
    }

    TrackedRemote get(String id) {
        return tracked.get(id);
    }

    /** Every tracked instance; a live view. */
    Collection<TrackedRemote> all() {
        return tracked.values();
    }

    /** Forgets t if it is still what the id tracks; whether it was. */
    boolean remove(String id, TrackedRemote t) {
        return tracked.remove(id, t);
    }

    /** Tracks an instance just started by this backend. */
    void started(TrackedRemote t) {
        tracked.put(t.id(), t);
        homes.put(t.id(), t.host);
    }

    /** Notes the host the id was seen on. */
    void seenOn(String id, String node) {
        homes.put(id, node);
    }

    /** The node id of the host the id was last seen on, or null. */
    String home(String id) {
        return homes.get(id);
    }

    /** Tracks an instance seen running, unless it is tracked with that handle already; logs each adoption (at info or debug). */
    TrackedRemote adopt(String host, RunningInstance running, boolean log) {
        homes.put(running.instanceId(), host);
        boolean[] created = new boolean[1];
        TrackedRemote t = tracked.compute(running.instanceId(), (k, old) -> {
            if (old != null && old.running.handle().equals(running.handle())) {
                return old;
            }
            created[0] = true;
            return new TrackedRemote(host, running);
        });
        if (created[0]) {
            if (log) {
                LOG.info("adopted {}", t);
            } else {
                LOG.debug("adopted {}", t);
            }
        }
        return t;
    }

    /** Notes that the handle was stopped or killed on purpose now (forgetting tombstones older than 5 minutes). */
    void tombstone(String handle) {
        long now = System.nanoTime();
        tombstones.values().removeIf(at -> now - at > TOMBSTONE_TTL.toNanos());
        tombstones.put(handle, now);
    }

    boolean tombstoned(String handle) {
        return tombstones.containsKey(handle);
    }

    /** How many instances are tracked. */
    int size() {
        return tracked.size();
    }
}
