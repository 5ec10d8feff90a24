// Counts and times one kind of the loop's work (placements, router applies) for PlatformStats; thread-safe.
package dev.berth.core.internal.reconcile;

import dev.berth.api.PlatformStats;
import java.util.concurrent.atomic.AtomicLong;

/** A count, a total and a maximum of durations, written by one thread and read by any. */
final class Timings {
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong max = new AtomicLong();

    /** Records one that started at {@code startNanos} ({@link System#nanoTime}) and ends now. */
    void since(long startNanos) {
        long took = System.nanoTime() - startNanos;
        count.incrementAndGet();
        total.addAndGet(took);
        max.accumulateAndGet(took, Math::max);
    }

    /** What was recorded so far. */
    PlatformStats.Timing snapshot() {
        return new PlatformStats.Timing(count.get(), total.get(), max.get());
    }
}
