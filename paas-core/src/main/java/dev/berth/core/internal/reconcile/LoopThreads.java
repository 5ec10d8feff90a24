// The threads the control loop runs on, injected so that a test can step the loop instead of waiting for it.
package dev.berth.core.internal.reconcile;

import dev.berth.api.BerthException;
import dev.berth.core.internal.health.HealthProber;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where the loop's work runs: its own single thread (tasks and timers), the workers that call the
 * backend, the thread that hands tables to the router, the one that writes records, the health
 * prober's; and how a caller waits for a task of the loop. {@link #standard()} gives real threads; a test may give executors that only run when it
 * steps them (with a clock it advances, as Caffeine's {@code executor}/{@code ticker} allow), so
 * that timings are exact instead of waited for.
 */
interface LoopThreads {

    /** The loop's single thread: every task and timer of the loop. */
    ScheduledExecutorService loop();

    /** The threads on which backend calls run. */
    ExecutorService workers();

    /** The thread on which the router applies tables, one at a time. */
    ExecutorService router();

    /** The thread that writes app and instance records to the store, off the loop (one at a time, in order). */
    ExecutorService stateWriter();

    /** The health prober, reporting to {@code results} (by default on threads of its own). */
    default HealthProber prober(HealthProber.Callback results) {
        return new HealthProber(2, results);
    }

    /**
     * What the loop measures its own work's cost with, in nanoseconds (by default
     * {@link System#nanoTime}); how long it then waits is on the wiring's clock.
     */
    default java.util.function.LongSupplier ticker() {
        return System::nanoTime;
    }

    /** Waits for the result of a call posted to the loop (by default, blocking until it completes). */
    default <T> T await(CompletableFuture<T> result) throws InterruptedException, ExecutionException {
        return result.get();
    }

    /**
     * Waits for {@code result} ({@link #await}), rethrowing its exception as it is (a runtime
     * exception or error) or wrapped in a {@link BerthException} naming {@code what}.
     */
    default <T> T join(CompletableFuture<T> result, String what) {
        try {
            return await(result);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BerthException("interrupted during " + what, e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new BerthException(what + " failed: " + c, c);
        }
    }

    /**
     * Stops the loop at once, lets the workers and the router finish what they hold (up to 10 s
     * each), then stops the state writer, last: a last task of the loop may still hand it records.
     */
    default void shutdown() {
        loop().shutdownNow();
        workers().shutdown();
        router().shutdown();
        try {
            workers().awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
            router().awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
            loop().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stateWriter().shutdown();
    }

    /** Real threads: the loop's, four workers, the router's, the state writer's; all daemons. */
    static LoopThreads standard() {
        ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(named("berth-reconciler"));
        AtomicInteger n = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(4, r -> daemon(r, "berth-worker-" + n.incrementAndGet()));
        ExecutorService router = Executors.newSingleThreadExecutor(named("berth-router"));
        ExecutorService writer = Executors.newSingleThreadExecutor(named("berth-state-writer"));
        return new LoopThreads() {
            @Override
            public ScheduledExecutorService loop() {
                return loop;
            }

            @Override
            public ExecutorService workers() {
                return workers;
            }

            @Override
            public ExecutorService router() {
                return router;
            }

            @Override
            public ExecutorService stateWriter() {
                return writer;
            }
        };
    }

    private static ThreadFactory named(String name) {
        return r -> daemon(r, name);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
