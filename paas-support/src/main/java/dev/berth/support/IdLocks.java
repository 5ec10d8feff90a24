// One lock per id (an instance, a release, an image), forgotten once nobody holds or waits for it.
package dev.berth.support;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Locks by id for a backend's per-instance (or per-release) work: {@link #lock} blocks until the
 * id's lock is held, {@link #tryLock} does not wait; both are re-entrant for the holding thread.
 * An id's lock exists only while some thread holds or waits for it, so a long-lived backend that
 * has started millions of instances keeps no lock per id it ever saw. Thread-safe.
 */
public final class IdLocks {
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    /** A held lock; {@link #close} releases it (once). */
    public interface Held extends AutoCloseable {
        /** Whether other threads wait for this id now (their work may be the same as the holder's). */
        boolean othersWaiting();

        /** Releases the lock. */
        @Override
        void close();
    }

    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        /** Threads holding (each time) or waiting; guarded by the map's compute on the id. */
        int users;
    }

    /** Holds the lock of {@code id}, waiting for it. */
    public Held lock(String id) {
        Entry e = join(id);
        e.lock.lock();
        return held(id, e);
    }

    /** Holds the lock of {@code id} if it is free (or held by this thread); null when another thread holds it. */
    public Held tryLock(String id) {
        Entry e = join(id);
        if (!e.lock.tryLock()) {
            leave(id);
            return null;
        }
        return held(id, e);
    }

    /** Whether some thread holds the lock of {@code id} now (a start or stop of it under way, say). */
    public boolean isLocked(String id) {
        Entry e = entries.get(Objects.requireNonNull(id, "id"));
        return e != null && e.lock.isLocked();
    }

    /** How many ids have a lock now (held or waited for). */
    public int size() {
        return entries.size();
    }

    private Entry join(String id) {
        Objects.requireNonNull(id, "id");
        return entries.compute(id, (k, e) -> {
            Entry entry = e == null ? new Entry() : e;
            entry.users++;
            return entry;
        });
    }

    private void leave(String id) {
        entries.computeIfPresent(id, (k, e) -> --e.users == 0 ? null : e);
    }

    private Held held(String id, Entry e) {
        return new Held() {
            private boolean closed;

            @Override
            public boolean othersWaiting() {
                return e.lock.hasQueuedThreads();
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    e.lock.unlock();
                    leave(id);
                }
            }
        };
    }
}
