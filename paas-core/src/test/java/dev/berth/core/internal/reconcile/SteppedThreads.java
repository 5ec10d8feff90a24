// Loop threads that run only when a test steps them, on a clock the test advances: exact timings, no waiting.
package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.internal.health.HealthProber;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@link LoopThreads} for tests of the loop, all on the test's thread: the loop, the workers, the
 * router and the state writer share one FIFO queue of tasks, run by {@link #runUntilIdle}; timers are due on a
 * {@link #clock} that only {@link #advance} moves, which then runs what fell due, in order. A call
 * to the loop runs the queue until its result is there. Deterministic; not thread-safe (the test's
 * thread only; other threads must not post). Health probes run on the loop's timers and connect
 * for real, so an instance that listens on 127.0.0.1 is seen ready in the step after it does.
 */
final class SteppedThreads implements LoopThreads {
    private final Deque<Runnable> queue = new ArrayDeque<>();
    private final List<Timer> timers = new ArrayList<>();
    private final ManualClock clock;
    private long timerSeq;
    private final Scheduler loop = new Scheduler();
    private final Scheduler others = new Scheduler();
    /** The router's executor: its tasks go to the queue, or wait in {@link #heldRouterTasks} while held. */
    private final Scheduler routerThread = new Scheduler() {
        @Override
        public void execute(Runnable command) {
            if (routerHeld) {
                heldRouterTasks.add(command);
            } else {
                super.execute(command);
            }
        }
    };
    private final List<Runnable> heldRouterTasks = new ArrayList<>();
    private boolean routerHeld;

    SteppedThreads(Instant start) {
        this.clock = new ManualClock(start);
    }

    /**
     * Fresh threads for the next loop (a loop's close shuts its executors down), on a clock going
     * on from this one's time, holding the router's tasks if this one does.
     */
    SteppedThreads next() {
        runUntilIdle();
        SteppedThreads next = new SteppedThreads(clock.instant());
        next.routerHeld = routerHeld;
        next.workCostNanos = workCostNanos;
        return next;
    }

    /** The clock the loop reads (give it to the {@link Wiring}). */
    Clock clock() {
        return clock;
    }

    @Override
    public ScheduledExecutorService loop() {
        return loop;
    }

    @Override
    public ExecutorService workers() {
        return others;
    }

    @Override
    public ExecutorService router() {
        return routerThread;
    }

    /** From now on the router's tasks wait (a router that takes its time to apply a table) until {@link #releaseRouter}. */
    void holdRouter() {
        routerHeld = true;
    }

    /** The held router tasks run, in order, with the next steps; later ones run as they come. */
    void releaseRouter() {
        routerHeld = false;
        queue.addAll(heldRouterTasks);
        heldRouterTasks.clear();
    }

    @Override
    public ExecutorService stateWriter() {
        return others;
    }

    /** How long each measured piece of the loop's work takes by {@link #ticker} (none by default). */
    private long workCostNanos;
    private long ticks;

    /** From now on every piece of work the loop measures costs {@code d} (a loop on a slow machine). */
    void workCost(Duration d) {
        workCostNanos = d.toNanos();
    }

    /** The manual clock's time, and {@link #workCost} more at every reading, so measured costs are exact too. */
    @Override
    public java.util.function.LongSupplier ticker() {
        return () -> {
            ticks += workCostNanos;
            return Duration.between(Instant.EPOCH, clock.now).toNanos() + ticks;
        };
    }

    /** Probes run on the loop's timers, at the standard pace on the manual clock, each answered before the next step. */
    @Override
    public HealthProber prober(HealthProber.Callback results) {
        return HealthProber.onTimer(loop, results);
    }

    @Override
    public <T> T await(CompletableFuture<T> result) throws InterruptedException, ExecutionException {
        while (!result.isDone() && !queue.isEmpty()) {
            queue.poll().run();
        }
        if (!result.isDone()) {
            throw new IllegalStateException("the loop went idle without answering the call");
        }
        return result.get();
    }

    /** Runs queued tasks (and what they queue) until none is left; timers wait for {@link #advance}. */
    void runUntilIdle() {
        while (!queue.isEmpty()) {
            queue.poll().run();
        }
    }

    /**
     * Runs what is queued, then moves the clock on {@code tick} at a time (timers falling due in
     * order) until {@code done} holds; fails the test if it still does not after {@code max} of it.
     */
    void until(BooleanSupplier done, Duration tick, Duration max) {
        runUntilIdle();
        for (long t = 0; !done.getAsBoolean() && t < max.toNanos(); t += tick.toNanos()) {
            advance(tick);
        }
        assertThat(done.getAsBoolean()).as("within %s on the loop's clock", max).isTrue();
    }

    /** Moves the clock on by {@code d}, {@code tick} at a time, failing the test the first tick {@code holds} does not. */
    void throughout(Duration d, Duration tick, BooleanSupplier holds) {
        for (long t = tick.toNanos(); t <= d.toNanos(); t += tick.toNanos()) {
            advance(tick);
            assertThat(holds.getAsBoolean()).as("after %d ms", Duration.ofNanos(t).toMillis()).isTrue();
        }
    }

    /** Moves the clock on by {@code d}, running each timer that falls due at its time, and whatever it queues. */
    void advance(Duration d) {
        Instant until = clock.instant().plus(d);
        runUntilIdle();
        while (true) {
            Timer next = timers.stream().filter(t -> !t.cancelled && !t.at.isAfter(until))
                    .min(Comparator.comparing((Timer t) -> t.at).thenComparingLong(t -> t.seq)).orElse(null);
            if (next == null) {
                break;
            }
            timers.remove(next);
            clock.now = next.at;
            next.task.run();
            if (next.period != null && !next.cancelled) {
                next.at = clock.now.plus(next.period);
                timers.add(next);
            }
            runUntilIdle();
        }
        clock.now = until;
    }

    /** A clock that moves only when told. */
    private static final class ManualClock extends Clock {
        private Instant now;

        ManualClock(Instant start) {
            this.now = start;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** A task due at {@code at} on the manual clock, repeated every {@code period} if that is set. */
    private final class Timer implements ScheduledFuture<Object> {
        final Runnable task;
        final Duration period;
        final long seq = timerSeq++;
        Instant at;
        boolean cancelled;

        Timer(Runnable task, Instant at, Duration period) {
            this.task = task;
            this.at = at;
            this.period = period;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(Duration.between(clock.now, at).toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterrupt) {
            cancelled = true;
            timers.remove(this);
            return true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return cancelled || (period == null && !timers.contains(this));
        }

        @Override
        public Object get() {
            throw new UnsupportedOperationException("not used by the loop");
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            throw new UnsupportedOperationException("not used by the loop");
        }
    }

    /** An executor whose tasks go to the shared queue and whose timers run on the manual clock. */
    private class Scheduler extends AbstractExecutorService implements ScheduledExecutorService {
        private boolean shutdown;

        @Override
        public void execute(Runnable command) {
            if (!shutdown) {
                queue.add(command);
            }
        }

        private Timer timer(Runnable task, long delay, TimeUnit unit, Duration period) {
            Timer t = new Timer(task, clock.now.plusNanos(unit.toNanos(delay)), period);
            timers.add(t);
            return t;
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            return timer(command, delay, unit, null);
        }

        @Override
        public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
            throw new UnsupportedOperationException("not used by the loop");
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            return timer(command, initialDelay, unit, Duration.ofNanos(unit.toNanos(period)));
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
            return timer(command, initialDelay, unit, Duration.ofNanos(unit.toNanos(delay)));
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown = true;
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return shutdown;
        }

        @Override
        public boolean isTerminated() {
            return shutdown;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }
}
