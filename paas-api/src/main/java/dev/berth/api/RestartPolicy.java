package dev.berth.api;

import java.time.Duration;

/**
 * How a dead instance is respawned: after {@code initialDelay}, multiplied by {@code multiplier}
 * for each further failure in a row, never more than {@code maxDelay}. An instance that stays
 * healthy (or, without a health check, running) for {@code resetAfter} starts again from
 * {@code initialDelay}. A crash-looping app therefore costs one start per {@code maxDelay}.
 * Immutable.
 *
 * @param initialDelay delay before the first respawn, >= 0
 * @param maxDelay     upper bound of the delay, >= initialDelay
 * @param multiplier   growth per failure in a row, 1-10
 * @param resetAfter   healthy time after which the failure count resets, > 0
 */
public record RestartPolicy(Duration initialDelay, Duration maxDelay, double multiplier, Duration resetAfter) {
    public RestartPolicy {
        Checks.notNegative("restart.initialDelay", initialDelay);
        Checks.positive("restart.maxDelay", maxDelay);
        Checks.positive("restart.resetAfter", resetAfter);
        if (maxDelay.compareTo(initialDelay) < 0) {
            throw new InvalidSpecException("restart.maxDelay", maxDelay, "must be at least the initial delay (" + initialDelay + ")");
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
     * The delay before respawn number {@code failuresInARow} (1 for the first failure).
     */
    public Duration delayAfter(int failuresInARow) {
        if (failuresInARow <= 1) {
            return initialDelay;
        }
        double millis = initialDelay.toMillis() * Math.pow(multiplier, Math.min(failuresInARow - 1, 64));
        return millis >= maxDelay.toMillis() ? maxDelay : Duration.ofMillis((long) millis);
    }
}
