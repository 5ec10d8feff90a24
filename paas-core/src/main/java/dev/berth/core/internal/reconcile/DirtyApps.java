// Which apps the loop's next pass converges: those touched since the last pass, or all of them after a resync.
package dev.berth.core.internal.reconcile;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The apps touched since the last pass (Kubernetes' work queue, level-triggered): API calls,
 * rollouts, exits, health changes, finished starts and stops mark the app they touched; node
 * changes and the periodic resync mark every app, so a missed mark is healed by the next resync,
 * never fatal. A pass {@link #take}s them and converges only those. Not thread-safe: touched only
 * by the loop thread.
 */
final class DirtyApps {
    private final Set<String> names = new TreeSet<>();
    private boolean all;

    /** {@code app} changed (its record or one of its instances): the next pass converges it. */
    void mark(String app) {
        if (!all) {
            names.add(app);
        }
    }

    /** Every app may have changed (a resync, a node going down or coming back): the next pass converges all. */
    void markAll() {
        all = true;
        names.clear();
    }

    /**
     * The names the pass looks at now, in name order: the marked ones and {@code always} (apps that
     * still wait for a placement, say), or, after {@link #markAll}, every app and every app that
     * still has instances ({@code withInstances}: a removed app's leftovers); then starts over with
     * none marked. A name may be of an app that is gone: its instances are to be retired.
     */
    List<String> take(Collection<String> apps, Collection<String> always, Collection<String> withInstances) {
        Set<String> out = new TreeSet<>(names);
        if (all) {
            out.addAll(apps);
            out.addAll(withInstances);
        }
        out.addAll(always);
        all = false;
        names.clear();
        return new ArrayList<>(out);
    }
}
