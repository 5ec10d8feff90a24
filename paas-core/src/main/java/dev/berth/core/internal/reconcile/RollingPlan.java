package dev.berth.core.internal.reconcile;

import dev.berth.api.UpdateStrategy;
import java.util.ArrayList;
import java.util.List;

/**
 * One step of a rolling update, with Marathon's rules: how many new instances to ask for and
 * which old ones to stop now. Pure: the loop calls it on every pass with what it sees.
 *
 * <ul>
 *   <li>At most {@link UpdateStrategy#maximumRunning} instances run at once (old, new, and those
 *       still stopping), so new ones are asked for only while there is room.</li>
 *   <li>An old instance that is not healthy serves nobody, but may be so for a moment (a probe
 *       missed under load): it is stopped once the healthy ones reach the minimum without it, or
 *       when its place is needed to start the new ones. Stopping every unhealthy old one at once
 *       let one slow round of probes end a whole serving release (seen under load on CI). One
 *       that stays unhealthy is replaced by the health checks anyway.</li>
 *   <li>A healthy old instance is stopped only while the healthy ones left (old and new) stay at
 *       or above {@link UpdateStrategy#minimumHealthy}. With the defaults (1.0, 1.0) that means:
 *       one old instance for each new one that has passed its health check.</li>
 * </ul>
 */
final class RollingPlan {
    /** An old-release instance as the plan sees it. */
    record Old(String id, boolean healthy) {
    }

    /** What to do now. */
    record Step(int toStart, List<String> toStop) {
    }

    private RollingPlan() {
    }

    /**
     * @param strategy       the app's update strategy
     * @param desired        instances the app wants
     * @param current        instances of the new release that exist (running, starting or waiting to respawn)
     * @param healthyCurrent of those, the healthy ones
     * @param old            the old release's instances that are not yet being stopped, unhealthy ones first
     * @param live           every live instance of the app, stopping ones included
     */
    static Step step(UpdateStrategy strategy, int desired, int current, int healthyCurrent, List<Old> old, int live) {
        int minHealthy = strategy.minimumHealthy(desired);
        int room = strategy.maximumRunning(desired) - live;
        List<String> stop = new ArrayList<>();
        long healthyOld = old.stream().filter(Old::healthy).count();
        long healthy = healthyCurrent + healthyOld;
        int roomNeeded = Math.max(0, desired - current) - room; // places the new ones still to start lack
        for (Old o : old) {
            if (!o.healthy()) {
                if (healthy >= minHealthy || roomNeeded > 0) {
                    stop.add(o.id());
                    roomNeeded--;
                }
            } else if (healthy - 1 >= minHealthy) {
                stop.add(o.id());
                roomNeeded--;
                healthy--;
            }
        }
        // Stopped instances still hold their place until they are gone: the room they free is
        // used on a later pass, once they no longer count as live.
        int toStart = Math.max(0, Math.min(desired - current, room));
        return new Step(toStart, stop);
    }
}
