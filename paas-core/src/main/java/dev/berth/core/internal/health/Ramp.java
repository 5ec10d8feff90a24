package dev.berth.core.internal.health;

/**
 * The pace of readiness probes before an instance is first ready: the first at once, then every
 * {@link #FIRST_MS} ms growing by {@link #GROWTH} per probe up to a ceiling (the check's interval,
 * or {@link #IMPLICIT_CEILING_MS} for the implicit check). Gently growing, so an app that listens
 * within 100 ms is seen ready some 20 ms later, while one that takes a minute costs about 80
 * probes. Stateless.
 */
final class Ramp {
    /** The delay after the first (immediate) probe. */
    static final long FIRST_MS = 20;
    /** How much each delay grows over the previous one. */
    static final double GROWTH = 1.2;
    /** The ceiling of the implicit readiness check, which has no interval of its own. */
    static final long IMPLICIT_CEILING_MS = 1000;

    private Ramp() {
    }

    /** The delay after a probe that followed {@code previousMs} (0 for the first probe), at most {@code ceilingMs}. */
    static long next(long previousMs, long ceilingMs) {
        long next = previousMs <= 0 ? FIRST_MS : (long) Math.ceil(previousMs * GROWTH);
        return Math.max(1, Math.min(next, ceilingMs));
    }
}
