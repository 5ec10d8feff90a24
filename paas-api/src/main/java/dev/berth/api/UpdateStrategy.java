package dev.berth.api;

import java.time.Duration;

/**
 * How a new release replaces the running one, with Marathon's meaning. During the update at
 * least {@code ceil(minimumHealthCapacity × instances)} instances (old or new) stay healthy, and
 * at most {@code instances + floor(maximumOverCapacity × instances)} run at once. New instances
 * must pass their health check before old ones are drained from the router and stopped. A new
 * release whose instances are not all healthy within {@code deadline} is rolled back to the
 * previous one. Immutable.
 *
 * @param minimumHealthCapacity fraction of instances that must stay healthy, 0-1
 * @param maximumOverCapacity   fraction of extra instances allowed during the update, 0-1
 * @param deadline              time for the new release to become healthy, 1 s - 1 d
 */
public record UpdateStrategy(double minimumHealthCapacity, double maximumOverCapacity, Duration deadline) {
    /** The shortest deadline of a rollout. */
    public static final Duration MIN_DEADLINE = Duration.ofSeconds(1);
    /** The longest deadline of a rollout. */
    public static final Duration MAX_DEADLINE = Duration.ofDays(1);

    private static final UpdateStrategy DEFAULTS = new UpdateStrategy(1.0, 1.0, Duration.ofMinutes(5));

    /** Validates every field; a bad one throws an {@link InvalidSpecException} naming it and its range. */
    public UpdateStrategy {
        fraction("update.minimumHealthCapacity", minimumHealthCapacity);
        fraction("update.maximumOverCapacity", maximumOverCapacity);
        if (minimumHealthCapacity == 1.0 && maximumOverCapacity == 0.0) {
            throw new InvalidSpecException("update.maximumOverCapacity", maximumOverCapacity,
                    "must be above 0 when minimumHealthCapacity is 1: otherwise no instance could ever be replaced");
        }
        Checks.within("update.deadline", deadline, MIN_DEADLINE, MAX_DEADLINE);
    }

    /** Marathon's defaults: everything stays healthy, up to twice the instances during the update; 5 minutes. */
    public static UpdateStrategy defaults() {
        return DEFAULTS;
    }

    /** Instances that must stay healthy while {@code desired} are replaced. */
    public int minimumHealthy(int desired) {
        return (int) Math.ceil(minimumHealthCapacity * desired - 1e-9);
    }

    /**
     * Instances that may run at once while {@code desired} are replaced; at least one more than
     * {@code desired} when the rounded fractions would leave neither room for a new instance nor
     * a healthy one to spare (0.99 and 0.01 of 30 instances, say), so that an update always moves.
     */
    public int maximumRunning(int desired) {
        int max = desired + (int) Math.floor(maximumOverCapacity * desired + 1e-9);
        return max == desired && desired > 0 && minimumHealthy(desired) >= desired ? desired + 1 : max;
    }

    /** This strategy with another deadline (1 s - 1 d). */
    public UpdateStrategy withDeadline(Duration deadline) {
        return new UpdateStrategy(minimumHealthCapacity, maximumOverCapacity, deadline);
    }

    private static void fraction(String field, double v) {
        if (!(v >= 0 && v <= 1)) {
            throw new InvalidSpecException(field, v, "must be a fraction from 0 to 1");
        }
    }
}
