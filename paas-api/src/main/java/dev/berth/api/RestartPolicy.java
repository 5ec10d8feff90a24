package dev.berth.api;

import java.time.Duration;

/**
 * How a dead instance is respawned. After a good run (it was ready for at least 1 s, or it was
 * ready at some point and its process ran for {@code resetAfter}) it starts again at once and its
 * failure count starts over; after a failure (it never got ready, or died within 1 s of it) it
 * waits {@code initialDelay}, multiplied by {@code multiplier} for each further failure in a row,
 * never more than {@code maxDelay}. A crash-looping app therefore costs one start per
 * {@code maxDelay}, and never more than one per {@link #MIN_DELAY}: every failure's delay lies from
 * {@code initialDelay} to {@code maxDelay}, however many failures in a row (the arithmetic
 * saturates, it never overflows or truncates to zero), and a start at once follows a run of at
 * least a second. Immutable.
 *
 * @param initialDelay delay before the first respawn, 100 ms - 1 h
 * @param maxDelay     upper bound of the delay, {@code initialDelay} - 1 h
 * @param multiplier   growth per failure in a row, 1-10
 * @param resetAfter   a run this long (since its process started, having been ready) is a good one, 1 s - 1 d
 */
public record RestartPolicy(Duration initialDelay, Duration maxDelay, double multiplier, Duration resetAfter) {
    /** The shortest delay before a respawn: the floor of {@code initialDelay} and so of every delay. */
    public static final Duration MIN_DELAY = Duration.ofMillis(100);
    /** The longest delay before a respawn: the ceiling of {@code initialDelay} and {@code maxDelay}. */
    public static final Duration MAX_DELAY = Duration.ofHours(1);
    /** The shortest healthy time that resets the failure count. */
    public static final Duration MIN_RESET_AFTER = Duration.ofSeconds(1);
    /** The longest healthy time that resets the failure count. */
    public static final Duration MAX_RESET_AFTER = Duration.ofDays(1);

    /** Validates every field; a bad one throws an {@link InvalidSpecException} naming it and its range. */
    public RestartPolicy {
        Checks.within("restart.initialDelay", initialDelay, MIN_DELAY, MAX_DELAY);
        Checks.within("restart.maxDelay", maxDelay, MIN_DELAY, MAX_DELAY);
        Checks.within("restart.resetAfter", resetAfter, MIN_RESET_AFTER, MAX_RESET_AFTER);
        if (maxDelay.compareTo(initialDelay) < 0) {
            throw new InvalidSpecException("restart.maxDelay", Checks.text(maxDelay),
                    "must be at least the initial delay (" + Checks.text(initialDelay) + ") and at most "
                            + Checks.text(MAX_DELAY));
        }
        if (!(multiplier >= 1 && multiplier <= 10)) {
            throw new InvalidSpecException("restart.multiplier", multiplier, "must be 1-10");
        }
    }

    /** 1 s, doubling, at most 1 min, reset after 1 min healthy. */
    public static RestartPolicy defaults() {
        return new RestartPolicy(Duration.ofSeconds(1), Duration.ofMinutes(1), 2.0, Duration.ofMinutes(1));
    }

    /**
     * The delay before respawn number {@code failuresInARow} (1 for the first failure; anything
     * below counts as 1): {@code initialDelay × multiplier^(failuresInARow-1)}, from
     * {@code initialDelay} to {@code maxDelay} for every argument. Never throws.
     */
    public Duration delayAfter(int failuresInARow) {
        if (failuresInARow <= 1) {
            return initialDelay;
        }
        long initial = initialDelay.toNanos(); // at most 1 h: fits
        long max = maxDelay.toNanos();
        // multiplier^n overflows to +Infinity for large n, which the comparison below saturates to maxDelay
        double nanos = initial * Math.pow(multiplier, failuresInARow - 1.0);
        if (!(nanos < max)) {
            return maxDelay;
        }
        return Duration.ofNanos(Math.max(initial, (long) nanos));
    }
}
