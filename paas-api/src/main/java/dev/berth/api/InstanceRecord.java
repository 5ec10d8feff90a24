package dev.berth.api;

import dev.berth.spi.RunningInstance;
import java.time.Instant;
import java.util.Objects;

/**
 * What the platform knows of one instance at a moment. Immutable; the reconciler makes a new
 * record for each change.
 *
 * @param id        unique instance id, e.g. {@code web-3}
 * @param app       the app's name
 * @param release   the release it runs
 * @param node      the node it is placed on
 * @param state     where it is in its life
 * @param endpoint  where it listens, or null when it has no port or is not running
 * @param handle    the backend's handle (a pid, a container id), or null when not running
 * @param restarts  how many times it was respawned
 * @param startedAt when its current process started, or null
 * @param lastExit  how its last process ended, or null
 */
public record InstanceRecord(String id, String app, String release, String node, InstanceState state,
                             Endpoint endpoint, String handle, int restarts, Instant startedAt, ExitInfo lastExit) {
    public InstanceRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(state, "state");
        if (restarts < 0) {
            throw new IllegalArgumentException("restarts must be >= 0, was " + restarts);
        }
    }

    /** A copy in {@code state}. */
    public InstanceRecord withState(InstanceState state) {
        return new InstanceRecord(id, app, release, node, state, endpoint, handle, restarts, startedAt, lastExit);
    }

    /**
     * This record for a freshly started process, on the node the backend reports (the one it was
     * placed on, unless the backend's own engine placed it: see {@link RunningInstance#node()}).
     */
    public InstanceRecord started(RunningInstance running, InstanceState state) {
        return new InstanceRecord(id, app, release, running.node(), state, running.endpoint(), running.handle(), restarts,
                running.startedAt(), lastExit);
    }

    /** This record after its process ended. */
    public InstanceRecord exited(ExitInfo exit, InstanceState state) {
        return new InstanceRecord(id, app, release, node, state, endpoint, null, restarts, startedAt, exit);
    }

    /** This record, one respawn later. */
    public InstanceRecord respawned() {
        return new InstanceRecord(id, app, release, node, InstanceState.PENDING, null, null, restarts + 1, null, lastExit);
    }
}
