// What the loop makes known after its tasks: changed app and instance records to the store, and the view to readers.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import dev.berth.api.InstanceRecord;
import dev.berth.spi.StateChanges;
import dev.berth.api.StateStoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the loop's state: readers get a new {@link View} derived from the last one and what
 * changed since; the app and instance records changed since the last save go to the store as one
 * batch, written on the state writer's thread so that the loop never waits for a disk (group
 * commit: what changes while a write is in flight goes out together in the next one, newest
 * record per name or id). {@link #publish} answers a future for the apps it handed over: a
 * command's caller waits for it, so a command returns once its desired state is durable while the
 * loop goes on. Nobody waits for instance records alone: they linger up to {@link #LINGER} for the
 * next command's write (Kafka's {@code linger.ms}), so a command seldom queues behind a write of
 * instance records and a burst of deploys costs one fsync per command, not two. A failed write
 * fails those futures and is retried with the next publication.
 * {@link #publish} and {@link #refreshView} run on the loop thread; {@link #view} is read from
 * any thread.
 */
final class Publication {
    private static final Logger log = LoggerFactory.getLogger(Publication.class);
    /** The longest instance records wait for a command's write to go out with. */
    static final Duration LINGER = Duration.ofMillis(5);

    /** Runs a task after a delay (the loop's timer). */
    @FunctionalInterface
    interface Later {
        void run(Runnable task, Duration delay);
    }

    private final LoopState state;
    private final Executor writer;
    private final Later later;
    private volatile View view = View.EMPTY;
    private final Object lock = new Object();
    /** Records waiting for the writer, and who waits for them; guarded by {@link #lock}. */
    private Batch pending = new Batch();
    /** Whether a drain is queued or running on the writer; guarded by {@link #lock}. */
    private boolean draining;
    /** Whether a drain of records nobody waits for is due after {@link #LINGER}; guarded by {@link #lock}. */
    private boolean lingering;

    /** Writes on {@code writer}; instance records alone are written {@link #LINGER} later, timed by {@code later}. */
    Publication(LoopState state, Executor writer, Later later) {
        this.state = state;
        this.writer = writer;
        this.later = later;
    }

    /** The view as of the loop's last task. */
    View view() {
        return view;
    }

    /**
     * Hands the app and instance records changed since the last call to the writer, then refreshes
     * the view; returns a future completed once the apps among them are durable, or failed with
     * the store's error. Only a command's caller waits ({@code acknowledged}): its records are
     * written at once; the loop's own changes (a pass's) linger. The future of an unacknowledged
     * publication, or of one with no app record, is complete at once.
     */
    CompletableFuture<Void> publish(boolean acknowledged) {
        Map<String, AppRecord> apps = new LinkedHashMap<>();
        for (String name : state.instances.changes.takeAppsToSave()) {
            apps.put(name, state.apps.get(name));
        }
        Map<String, InstanceRecord> records = new LinkedHashMap<>();
        for (String id : state.instances.changes.takeInstancesToSave()) {
            Tracked t = state.instances.get(id);
            records.put(id, t == null ? null : t.record());
        }
        CompletableFuture<Void> saved = apps.isEmpty() || !acknowledged ? CompletableFuture.completedFuture(null)
                : new CompletableFuture<>();
        synchronized (lock) {
            pending.apps.putAll(apps);
            pending.instances.putAll(records);
            if (!saved.isDone()) {
                pending.waiters.add(saved);
            }
            if (!draining && !pending.isEmpty()) { // new records, or ones a failed write left for this try
                drainOrLinger();
            }
        }
        refreshView();
        return saved;
    }

    /** Starts a drain when a command waits for the pending records, else arms the linger's timer once. Holds {@link #lock}. */
    private void drainOrLinger() {
        if (!pending.waiters.isEmpty()) {
            startDrain();
        } else if (!lingering) {
            lingering = true;
            try {
                later.run(this::lingered, LINGER);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                lingering = false;
                startDrain(); // the loop is closing: write now
            }
        }
    }

    /** The linger is over: what is still pending goes out. */
    private void lingered() {
        synchronized (lock) {
            lingering = false;
            if (!draining && !pending.isEmpty()) {
                startDrain();
            }
        }
    }

    /** Queues a drain on the writer; a writer that refuses it (shut down) fails the waiting commands. Holds {@link #lock}. */
    private void startDrain() {
        draining = true;
        try {
            writer.execute(() -> drain(false));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            draining = false;
            StateStoreException closed = new StateStoreException("the platform is closing: the change was not saved", e);
            pending.waiters.forEach(f -> f.completeExceptionally(closed));
            pending.waiters.clear();
        }
    }

    /**
     * Writes what is pending: all of it, then batch after batch while a command waits for some
     * (records nobody waits for linger), or until nothing is left when {@code all}. On a failure
     * the records stay pending for the next publication (newer changes of the same names and ids
     * win), and every command waiting, in the failed batch or queued behind it, is told: none
     * waits for a retry that only a later change would start.
     */
    private void drain(boolean all) {
        for (boolean first = true; ; first = false) {
            Batch batch;
            synchronized (lock) {
                if (pending.isEmpty() || !(first || all || !pending.waiters.isEmpty())) {
                    draining = false;
                    if (!pending.isEmpty()) {
                        drainOrLinger();
                    }
                    return;
                }
                batch = pending;
                pending = new Batch();
            }
            try {
                state.w.store().write(batch.changes());
            } catch (RuntimeException | Error e) {
                failed(batch, e);
                if (e instanceof Error err) {
                    throw err;
                }
                return;
            }
            batch.waiters.forEach(f -> f.complete(null));
        }
    }

    private void failed(Batch batch, Throwable e) {
        log.error("cannot save {} app and {} instance record(s); will retry: {}", batch.apps.size(),
                batch.instances.size(), e.getMessage(), e);
        StateStoreException failed = new StateStoreException("the change is in effect but could not be saved ("
                + e.getMessage() + "); it is saved again with the next change", e);
        List<CompletableFuture<Void>> waiting = new ArrayList<>(batch.waiters);
        synchronized (lock) {
            batch.apps.forEach((name, a) -> keepOlder(pending.apps, name, a));
            batch.instances.forEach((id, r) -> keepOlder(pending.instances, id, r));
            waiting.addAll(pending.waiters);
            pending.waiters.clear();
            draining = false;
        }
        waiting.forEach(f -> f.completeExceptionally(failed));
    }

    /** Puts back a record of a failed batch unless a newer change of it (a deletion, null, included) is pending. */
    private static <V> void keepOlder(Map<String, V> pending, String key, V value) {
        if (!pending.containsKey(key)) {
            pending.put(key, value);
        }
    }

    /** Records on their way to the store, newest per name or id (null: deleted), and the futures of their commands. */
    private static final class Batch {
        final Map<String, AppRecord> apps = new LinkedHashMap<>();
        final Map<String, InstanceRecord> instances = new LinkedHashMap<>();
        final List<CompletableFuture<Void>> waiters = new ArrayList<>();

        boolean isEmpty() {
            return apps.isEmpty() && instances.isEmpty();
        }

        StateChanges changes() {
            StateChanges.Builder b = StateChanges.builder();
            apps.forEach((name, a) -> {
                if (a == null) {
                    b.deleteApp(name);
                } else {
                    b.saveApp(a);
                }
            });
            instances.forEach((id, r) -> {
                if (r == null) {
                    b.deleteInstance(id);
                } else {
                    b.saveInstance(r);
                }
            });
            return b.build();
        }
    }

    /** How long a closing loop waits for its last records to be saved before it gives up on them. */
    static final java.time.Duration LAST_SAVE_WAIT = java.time.Duration.ofSeconds(5);

    /**
     * {@link #written}, failed with a timeout after {@link #LAST_SAVE_WAIT}: a store that cannot
     * answer (ZooKeeper without a quorum) must not hold a close.
     */
    CompletableFuture<Void> lastWritten() {
        return written().orTimeout(LAST_SAVE_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * A future completed once every record handed over so far has been written, or failed with
     * the store's error when some could not be.
     */
    CompletableFuture<Void> written() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        writer.execute(() -> {
            drain(true);
            boolean left;
            synchronized (lock) {
                left = !pending.isEmpty();
            }
            if (left) {
                done.completeExceptionally(new StateStoreException("some records could not be saved (see the error "
                        + "logged before)", null));
            } else {
                done.complete(null);
            }
        });
        return done;
    }

    /** Publishes the loop's state to readers: the last view with what changed since. */
    void refreshView() {
        Map<String, AppRecord> appChanges = new HashMap<>();
        for (String name : state.instances.changes.takeAppsToView()) {
            appChanges.put(name, state.apps.get(name));
        }
        Map<String, Map<String, InstanceRecord>> instanceChanges = new HashMap<>();
        state.instances.changes.takeInstancesToView().forEach((id, app) -> {
            Tracked t = state.instances.get(id);
            instanceChanges.computeIfAbsent(app, k -> new HashMap<>())
                    .put(id, t != null && t.record().app().equals(app) ? t.record() : null);
        });
        view = view.with(appChanges, instanceChanges).withDownNodes(state.downNodes);
    }
}
