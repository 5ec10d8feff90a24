// What the loop makes known after its tasks: changed instance records to the store, and the view to readers.
package dev.berth.core.internal.reconcile;

import dev.berth.api.AppRecord;
import dev.berth.api.InstanceRecord;
import dev.berth.api.StateChanges;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the loop's state: readers get a new {@link View} derived from the last one and what
 * changed since; the instance records changed since the last save go to the store as one batch,
 * written on the state writer's thread so that the loop never waits for a disk (group commit:
 * what changes while a write is in flight goes out together in the next one, newest record per
 * id). Apps are saved by the commands themselves, on the loop, before they are acted on: that is
 * what a caller is told is durable. A failed write is retried with the next publication.
 * {@link #publish} and {@link #refreshView} run on the loop thread; {@link #view} is read from
 * any thread.
 */
final class Publication {
    private static final Logger log = LoggerFactory.getLogger(Publication.class);

    private final LoopState state;
    private final Executor writer;
    private volatile View view = View.EMPTY;
    private final Object lock = new Object();
    /** Records waiting for the writer, by id (null: deleted); guarded by {@link #lock}. */
    private Map<String, InstanceRecord> pending = new LinkedHashMap<>();
    /** Whether a drain is queued or running on the writer; guarded by {@link #lock}. */
    private boolean draining;

    Publication(LoopState state, Executor writer) {
        this.state = state;
        this.writer = writer;
    }

    /** The view as of the loop's last task. */
    View view() {
        return view;
    }

    /** Hands the instance records changed since the last call to the writer, then refreshes the view. */
    void publish() {
        var changed = state.instances.takeChanged();
        if (!changed.isEmpty()) {
            Map<String, InstanceRecord> records = new LinkedHashMap<>();
            for (String id : changed) {
                Tracked t = state.instances.get(id);
                records.put(id, t == null ? null : t.record());
            }
            synchronized (lock) {
                pending.putAll(records);
            }
        }
        synchronized (lock) {
            if (!draining && !pending.isEmpty()) { // new records, or ones a failed write left for this try
                draining = true;
                writer.execute(this::drain);
            }
        }
        refreshView();
    }

    /** Writes what is pending, batch after batch, until nothing is; on a failure keeps it pending for the next try. */
    private void drain() {
        while (true) {
            Map<String, InstanceRecord> batch;
            synchronized (lock) {
                if (pending.isEmpty()) {
                    draining = false;
                    return;
                }
                batch = pending;
                pending = new LinkedHashMap<>();
            }
            StateChanges.Builder b = StateChanges.builder();
            batch.forEach((id, r) -> {
                if (r == null) {
                    b.deleteInstance(id);
                } else {
                    b.saveInstance(r);
                }
            });
            try {
                state.w.store().write(b.build());
            } catch (RuntimeException e) {
                log.error("cannot save {} instance record(s); will retry: {}", batch.size(), e.getMessage(), e);
                synchronized (lock) {
                    batch.forEach(pending::putIfAbsent); // newer changes of the same ids win
                    draining = false;
                }
                return;
            }
        }
    }

    /** A future completed once every record handed over so far has been written (or failed to be). */
    CompletableFuture<Void> written() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        writer.execute(() -> {
            drain();
            done.complete(null);
        });
        return done;
    }

    /** Publishes the loop's state to readers: the last view with what changed since. */
    void refreshView() {
        Map<String, AppRecord> appChanges = new HashMap<>();
        for (String name : state.takeUnviewedApps()) {
            appChanges.put(name, state.apps.get(name));
        }
        Map<String, Map<String, InstanceRecord>> instanceChanges = new HashMap<>();
        state.instances.takeUnviewed().forEach((id, app) -> {
            Tracked t = state.instances.get(id);
            instanceChanges.computeIfAbsent(app, k -> new HashMap<>())
                    .put(id, t != null && t.record().app().equals(app) ? t.record() : null);
        });
        view = view.with(appChanges, instanceChanges);
    }
}
