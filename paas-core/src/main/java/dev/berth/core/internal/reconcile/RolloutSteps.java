// The steps a rolling update would take, played out with RollingPlan on a model where every step completes.
package dev.berth.core.internal.reconcile;

import dev.berth.api.DeployPlan;
import dev.berth.api.UpdateStrategy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Plays a rolling update out step by step with {@link RollingPlan}, the function the loop itself
 * calls, on a model in which each step completes before the next: the new instances it starts
 * become healthy and the old ones it stops are gone. A real rollout waits for both, so its passes
 * may split a step, never reorder them. Pure.
 */
final class RolloutSteps {
    /** The most steps played out (a rollout of 1,000 instances one at a time takes 1,000). */
    static final int MAX_STEPS = 10_000;

    private RolloutSteps() {
    }

    /**
     * The steps from now until the old release is gone and the new one runs {@code desired}.
     *
     * @param current        instances of the new release that exist now
     * @param healthyCurrent of those, the healthy ones
     * @param old            the old release's instances not yet being stopped, in the order the loop stops them
     * @param live           every live instance of the app now, stopping ones included
     */
    static List<DeployPlan.Step> play(UpdateStrategy strategy, int desired, int current, int healthyCurrent,
                                      List<RollingPlan.Old> old, int live) {
        List<DeployPlan.Step> steps = new ArrayList<>();
        List<RollingPlan.Old> left = new ArrayList<>(old);
        int stopping = live - current - left.size(); // live instances already on their way out
        while (steps.size() < MAX_STEPS) {
            RollingPlan.Step s = RollingPlan.step(strategy, desired, current, healthyCurrent, left, current + left.size()
                    + stopping);
            if (s.toStart() == 0 && s.toStop().isEmpty()) {
                break; // done, or stuck (nothing can move: the step says so by doing nothing)
            }
            steps.add(new DeployPlan.Step(s.toStart(), s.toStop()));
            Set<String> stopped = new HashSet<>(s.toStop());
            left.removeIf(o -> stopped.contains(o.id()));
            stopping = 0; // what was stopping is gone by the next step
            current += s.toStart();
            healthyCurrent = current;
        }
        return steps;
    }
}
