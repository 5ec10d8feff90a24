// The loop's one timer for what falls due by itself: the next respawn or rollout deadline.
package dev.berth.core.internal.reconcile;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keeps one pass scheduled on the loop's executor for the earliest due time the loop knows of
 * ({@link DueTimes#next}); asking again for the same time changes nothing, an earlier or later one
 * replaces the timer. Loop thread only.
 */
final class WakeUp {
    private final ScheduledExecutorService loop;
    private final Clock clock;
    private ScheduledFuture<?> timer;
    private Instant at;

    WakeUp(ScheduledExecutorService loop, Clock clock) {
        this.loop = loop;
        this.clock = clock;
    }

    /** Runs {@code pass} on the loop at {@code next} (nothing when null or already scheduled for then). */
    void at(Instant next, Runnable pass) {
        if (next == null || next.equals(at)) {
            return;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        at = next;
        timer = loop.schedule(() -> {
            at = null;
            pass.run();
        }, Timing.millisUntil(clock.instant(), next), TimeUnit.MILLISECONDS);
    }
}
