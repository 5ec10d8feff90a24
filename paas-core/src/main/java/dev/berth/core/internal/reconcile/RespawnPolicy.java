package dev.berth.core.internal.reconcile;

import dev.berth.api.RestartPolicy;
import java.time.Duration;
import java.time.Instant;

/**
 * When a dead instance starts again. After a good run (it was ready for at least
 * {@link #GOOD_RUN}, or it was ready at some point and its process ran for the policy's
 * {@code resetAfter}) it starts at once and its failure count starts over; otherwise (it never
 * became ready, or died within {@link #GOOD_RUN} of it) it is one more failure in a row and waits
 * the restart policy's back-off ({@code initialDelay × multiplier^(failures-1)}, at most
 * {@code maxDelay}, never below 100 ms). A crash loop therefore costs at most one start per back-off
 * step, and a respawn that happens at once follows a run of at least a second: never more than
 * 10 starts a second either way. Stateless; the count lives in {@link Tracked}.
 */
final class RespawnPolicy {
    /** How long an instance must have been ready for its death not to count as a failure. */
    static final Duration GOOD_RUN = Duration.ofSeconds(1);

    private RespawnPolicy() {
    }

    /**
     * The delay before {@code t} starts again, updating its failure count; {@code countFailure}
     * false (an instance found dead when the platform started: nothing is known of its run) takes
     * the first back-off step without counting a new failure.
     */
    static Duration delay(Tracked t, RestartPolicy policy, Instant now, boolean countFailure) {
        if (goodRun(t.readyAt, t.record().startedAt(), policy, now)) {
            t.failuresInARow = 0;
            return Duration.ZERO;
        }
        if (countFailure || t.failuresInARow == 0) {
            t.failuresInARow++;
        }
        return policy.delayAfter(t.failuresInARow);
    }

    /** Whether a process that became ready at {@code readyAt} (null: never) and started at {@code startedAt} ran well. */
    static boolean goodRun(Instant readyAt, Instant startedAt, RestartPolicy policy, Instant now) {
        if (readyAt == null) {
            return false;
        }
        if (!Duration.between(readyAt, now).minus(GOOD_RUN).isNegative()) {
            return true;
        }
        return startedAt != null && !Duration.between(startedAt, now).minus(policy.resetAfter()).isNegative();
    }
}
