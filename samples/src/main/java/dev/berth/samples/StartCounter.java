// Counts InstanceStarted events for ScaleBench and says when a target count was reached.
package dev.berth.samples;

import dev.berth.api.PlatformEvent;
import dev.berth.api.PlatformListener;

/**
 * A listener counting {@link PlatformEvent.InstanceStarted} events (of one app, or of all) from
 * {@link #expect} on, and noting the {@link System#nanoTime()} at which the count reached its
 * target. Thread-safe: guarded by {@code this}.
 */
final class StartCounter implements PlatformListener {
    private String app;
    private long count;
    private long target = Long.MAX_VALUE;
    private long reachedAt;

    /** Starts counting afresh: InstanceStarted events of {@code app} (null: of every app) until {@code target}. */
    synchronized void expect(String app, long target) {
        this.app = app;
        this.target = target;
        this.count = 0;
        this.reachedAt = 0;
    }

    @Override
    public synchronized void onEvent(PlatformEvent event) {
        if (event instanceof PlatformEvent.InstanceStarted s && (app == null || app.equals(s.app()))) {
            count++;
            if (count >= target && reachedAt == 0) {
                reachedAt = System.nanoTime();
                notifyAll();
            }
        }
    }

    /**
     * Waits until the target is reached or {@code deadlineNanos} (a {@link System#nanoTime()}
     * value) passes, calling {@code progress} about every {@code everyNanos} while it waits.
     *
     * @return whether the target was reached
     */
    synchronized boolean await(long deadlineNanos, long everyNanos, Runnable progress) throws InterruptedException {
        long nextReport = System.nanoTime() + everyNanos;
        while (reachedAt == 0) {
            long now = System.nanoTime();
            if (now - deadlineNanos >= 0) {
                return false;
            }
            if (now - nextReport >= 0) {
                progress.run();
                nextReport = now + everyNanos;
            }
            long waitNanos = Math.min(deadlineNanos - now, nextReport - now);
            wait(Math.max(1, waitNanos / 1_000_000));
        }
        return true;
    }

    /** Events counted since {@link #expect}. */
    synchronized long count() {
        return count;
    }

    /** When the target was reached ({@link System#nanoTime()}), or 0. */
    synchronized long reachedAt() {
        return reachedAt;
    }
}
