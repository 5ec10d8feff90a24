// Which apps the loop's next pass converges: those touched since the last pass, or all of them after a resync.
package dev.berth.core.internal.reconcile;

import dev.berth.api.AppRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
     * The apps of {@code apps} that the pass converges now, in name order: the marked ones and
     * {@code always} (apps that still wait for a placement, say), or all after {@link #markAll};
     * then starts over with none marked.
     */
    List<AppRecord> take(Map<String, AppRecord> apps, Collection<String> always) {
        List<AppRecord> out = new ArrayList<>();
        if (all) {
            out.addAll(apps.values());
        } else {
            names.addAll(always);
            for (String name : names) {
                AppRecord app = apps.get(name);
                if (app != null) {
                    out.add(app);
                }
            }
        }
        out.sort(Comparator.comparing(AppRecord::name));
        all = false;
        names.clear();
        return out;
    }
}
