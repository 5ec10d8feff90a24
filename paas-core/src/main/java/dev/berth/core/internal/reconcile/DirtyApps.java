// Which apps the loop's next pass converges: those touched since the last pass, or all of them after a resync.
package dev.berth.core.internal.reconcile;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * The apps touched since the last pass (Kubernetes' work queue, level-triggered): API calls,
 * rollouts, exits, health changes, finished starts and stops mark the app they touched; node
 * changes and the periodic resync mark every app, so a missed mark is healed by the next resync,
 * never fatal. A pass {@link #take}s them and converges only those; a sweep of every app is
 * spread over passes of at most {@value #SWEEP_PER_PASS} apps. Not thread-safe: touched only
 * by the loop thread.
 */
final class DirtyApps {
    /** The most apps of a sweep (after {@link #markAll}) that one pass converges: the rest wait for the next passes. */
    static final int SWEEP_PER_PASS = 256;

    private final Set<String> names = new TreeSet<>();
    /** Apps of the current sweep not converged yet, in name order. */
    private final NavigableSet<String> sweep = new TreeSet<>();
    private boolean all;

    /** {@code app} changed (its record or one of its instances): the next pass converges it. */
    void mark(String app) {
        names.add(app);
    }

    /** Every app may have changed (a resync, a node going down or coming back): the next passes converge all. */
    void markAll() {
        all = true;
    }

    /**
     * The names the pass looks at now, in name order: the marked ones, {@code always} (apps that
     * still wait for a placement, say) and, after {@link #markAll}, the next
     * {@value #SWEEP_PER_PASS} of a sweep over every app and every app that still has instances
     * ({@code withInstances}: a removed app's leftovers), so that a sweep of a large platform
     * never holds the loop for long; then starts over with none marked. A name may be of an app
     * that is gone: its instances are to be retired.
     */
    List<String> take(Collection<String> apps, Collection<String> always, Collection<String> withInstances) {
        if (all) {
            sweep.addAll(apps);
            sweep.addAll(withInstances);
            all = false;
        }
        Set<String> out = new TreeSet<>(names);
        out.addAll(always);
        for (int i = 0; i < SWEEP_PER_PASS && !sweep.isEmpty(); i++) {
            out.add(sweep.pollFirst());
        }
        names.clear();
        return new ArrayList<>(out);
    }

    /** Whether a sweep still has apps for the next passes. */
    boolean sweeping() {
        return !sweep.isEmpty();
    }
}
