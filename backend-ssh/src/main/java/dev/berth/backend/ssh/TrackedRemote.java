// An instance the SSH backend believes runs: on which host, as what, since when, and whether Berth is ending it.
package dev.berth.backend.ssh;

import dev.berth.spi.RunningInstance;

/**
 * An instance the backend believes runs: where, as what, and since when it is known, and whether
 * a stop or kill of Berth's is under way. Thread-safe: the flags are volatile, the rest immutable.
 */
final class TrackedRemote {
    final String host;
    final RunningInstance running;
    final long since = System.nanoTime();
    volatile boolean stopping;
    volatile boolean killing;

    TrackedRemote(String host, RunningInstance running) {
        this.host = host;
        this.running = running;
    }

    String id() {
        return running.instanceId();
    }

    @Override
    public String toString() {
        return "app '" + running.app() + "' instance '" + running.instanceId() + "' (" + running.handle()
                + " on host '" + host + "')";
    }
}
