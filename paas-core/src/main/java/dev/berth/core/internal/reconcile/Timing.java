package dev.berth.core.internal.reconcile;

import java.time.Duration;
import java.time.Instant;

/**
 * Saturating time arithmetic for the control loop: no instant or duration, however far off (a
 * timestamp from a backend's pid file, a deadline read back from state), can make the loop throw
 * an {@link ArithmeticException} or a {@link java.time.DateTimeException}. Stateless.
 */
final class Timing {
    /** The longest the loop sleeps before it looks at a far-off deadline again. */
    static final Duration LONGEST_SLEEP = Duration.ofHours(1);

    private Timing() {
    }

    /** {@code at + d}, or {@link Instant#MAX} (resp. {@link Instant#MIN}) where that overflows. */
    static Instant plus(Instant at, Duration d) {
        try {
            return at.plus(d);
        } catch (ArithmeticException | java.time.DateTimeException e) {
            return d.isNegative() ? Instant.MIN : Instant.MAX;
        }
    }

    /**
     * Milliseconds from {@code now} until {@code then}, rounded up so that a timer never fires
     * before {@code then} (and then spins until it is due); 0 when it is past, at most
     * {@link #LONGEST_SLEEP}.
     */
    static long millisUntil(Instant now, Instant then) {
        if (!then.isAfter(now)) {
            return 0;
        }
        if (then.isAfter(plus(now, LONGEST_SLEEP))) {
            return LONGEST_SLEEP.toMillis();
        }
        Duration d = Duration.between(now, then); // at most an hour here: no overflow below
        return d.toMillis() + (d.toNanos() % 1_000_000 == 0 ? 0 : 1);
    }
}
