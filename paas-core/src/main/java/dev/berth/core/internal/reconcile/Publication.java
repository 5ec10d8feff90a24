// What the loop makes known after its tasks: changed instance records to the store, and the view to readers.
package dev.berth.core.internal.reconcile;

import dev.berth.api.AppRecord;
import dev.berth.api.InstanceRecord;
import dev.berth.api.StateChanges;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the loop's state: the instance records changed since the last save go to the store as
 * one batch (apps are saved by the commands before they are acted on), and readers get a new
 * {@link View} derived from the last one and what changed since. Both cost what changed, never the
 * platform's size. {@link #publish} and {@link #refreshView} run on the loop thread; {@link #view}
 * is read from any thread.
 */
final class Publication {
    private static final Logger log = LoggerFactory.getLogger(Publication.class);

    private final LoopState state;
    private volatile View view = View.EMPTY;

    Publication(LoopState state) {
        this.state = state;
    }

    /** The view as of the loop's last task. */
    View view() {
        return view;
    }

    /** Saves the instance records changed since the last save (retried next time if the store fails); refreshes the view. */
    void publish() {
        Set<String> changed = state.instances.takeChanged();
        if (!changed.isEmpty()) {
            StateChanges.Builder batch = StateChanges.builder();
            for (String id : changed) {
                Tracked t = state.instances.get(id);
                if (t == null) {
                    batch.deleteInstance(id);
                } else {
                    batch.saveInstance(t.record());
                }
            }
            try {
                state.w.store().write(batch.build());
            } catch (RuntimeException e) {
                state.instances.changedAgain(changed);
                log.error("cannot save {} instance record(s); will retry: {}", changed.size(), e.getMessage(), e);
            }
        }
        refreshView();
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
