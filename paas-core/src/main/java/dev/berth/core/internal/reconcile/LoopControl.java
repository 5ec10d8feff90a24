// What the rooms of the control loop ask of the loop itself: passes, tasks on its thread, worker threads.
package dev.berth.core.internal.reconcile;

import java.util.concurrent.Callable;
import java.util.concurrent.Executor;

/** The loop as its rooms see it; every method is called on the loop thread except {@link #post}. */
interface LoopControl {

    /** Runs a pass now, on the calling (loop) thread. */
    void pass();

    /** Runs a pass soon on the loop thread, once however often it is asked for. */
    void passSoon();

    /** Runs a pass on the loop thread once {@code delay} has passed. */
    void passAfter(java.time.Duration delay);

    /** Runs {@code task} on the loop thread; safe from any thread. */
    void post(Runnable task);

    /** Runs {@code task} on the loop and waits for its result, rethrowing its exception; never on the loop thread. */
    <T> T call(Callable<T> task);

    /** The worker threads on which backend calls run. */
    Executor workers();
}
