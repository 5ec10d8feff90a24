package dev.berth.core.internal.reconcile;

import dev.berth.api.ExitInfo;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import java.time.Instant;

/**
 * The control loop's working state for one instance: its record plus what the loop needs to
 * decide (failure counts, back-off, an operation in flight). Touched only by the loop thread.
 */
final class Tracked {
    /** What happens once a stop that the loop asked for has completed. */
    enum AfterStop {
        /** Keep the instance, stopped, until someone restarts it. */
        HOLD,
        /** Forget the instance (scale down, app removed, old release). */
        REMOVE,
        /** Start it again at once (a manual restart). */
        RESTART,
        /** Treat it as crashed: respawn after the back-off (it failed its health check). */
        REPLACE
    }

    private InstanceRecord record;
    /** The index tracking this instance, told of every new record so that only changed records are saved. */
    private InstanceIndex index;
    /** Crashes in a row, for the back-off; reset after a healthy stretch. */
    int failuresInARow;
    /** Failed probes in a row. */
    int probeFailures;
    /** Set while healthy; null otherwise. */
    Instant healthySince;
    /** Whether the current process has been ready (passed a probe): from then on failures count. */
    boolean provedHealthy;
    /** When the loop saw the current process run (its readiness timeout counts from here); null otherwise. */
    Instant runningSince;
    /** When the current process first became ready; null until then. */
    Instant readyAt;
    /** What the last failed probe of the current process said, for a readiness failure's reason. */
    String lastProbe;
    /** When an exited instance is due to be respawned. */
    Instant respawnAt;
    /** A backend call (start or stop) is in flight; the loop starts nothing else for it. */
    boolean busy;
    /** Set while a stop that the loop asked for is pending or in flight. */
    AfterStop afterStop;
    /** An exit reported while the start was still in flight, with the handle of the process that ended. */
    EarlyExit exitDuringStart;
    /** Waiting for its turn in an app-wide rolling restart. */
    boolean restarting;
    /** Being restarted by a rolling restart, until healthy again. */
    boolean rolling;
    /** Why the stop was asked for (reported as the exit reason of a replacement). */
    String stopReason;
    /**
     * Draining before a stop: 0 when not, {@link #DRAIN_PENDING} until the next routing table is
     * handed to the router, then that table's sequence number, until the router has applied it.
     */
    long drainAfter;

    static final long DRAIN_PENDING = -1;

    /** An exit that arrived before the start call returned. */
    record EarlyExit(String handle, ExitInfo exit) {
    }

    Tracked(InstanceRecord record) {
        this.record = record;
    }

    /** The instance's current record. */
    InstanceRecord record() {
        return record;
    }

    /** Replaces the record (same id, app and node) and marks it unsaved. */
    void update(InstanceRecord next) {
        record = next;
        if (index != null) {
            index.changed(next);
        }
    }

    /** Set by the {@link InstanceIndex} that tracks this instance; null once it is dropped. */
    void indexedBy(InstanceIndex by) {
        index = by;
    }

    String id() {
        return record.id();
    }

    InstanceState state() {
        return record.state();
    }

    /** Leaves the app for good once stopped. */
    boolean retiring() {
        return afterStop == AfterStop.REMOVE;
    }

    /** A process runs (or is being started or stopped). */
    boolean live() {
        return record.state().isLive();
    }
}
