package dev.berth.spi;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.api.ExitInfo;
import java.time.Duration;
import java.util.List;

/**
 * Runs instances somewhere: local processes, containers, remote hosts. The platform calls
 * {@link #start}, {@link #stop}, {@link #kill} and the console from worker threads, so they may
 * block; two calls happen on its control loop: {@link #list} once, while the platform starts and
 * adopts what runs (nothing else runs then, so it may block too), and {@link #nodeStatus} a few
 * times per {@code nodeDownAfter}, which must return at once. Implementations must
 * be thread-safe and idempotent by instance id: starting an id that runs returns it unchanged,
 * stopping one that is gone succeeds. Instances outlive the backend object and the JVM:
 * {@link #close()} releases only the backend's own resources.
 */
public interface Backend extends AutoCloseable {

    /** A short name for logs, e.g. {@code process}. */
    String name();

    /**
     * Starts an instance (after running the app's setup once for the release on that node) and
     * returns it running. Env values {@link AppSpec#RANDOM_PORT} are replaced by free ports. A
     * backend whose own engine places instances (a Swarm that schedules) may run it elsewhere than
     * the request's node, and says where in {@link RunningInstance#node()}; the platform records
     * that node. Such a backend also restarts and moves instances itself: it reports the end of
     * the old process through {@link #onExit}, and the platform's respawn then finds the new one
     * (start is idempotent by instance id).
     *
     * @throws BackendException when it cannot be started; the message names the instance and why
     */
    RunningInstance start(LaunchRequest request);

    /**
     * Stops an instance gracefully (SIGTERM or the like), forcibly after {@code grace}, with all
     * its children; returns when it is gone. An unknown or finished id is a no-op.
     */
    void stop(String instanceId, Duration grace);

    /** Kills an instance at once (SIGKILL or the like); its exit is reported like a crash. */
    void kill(String instanceId);

    /** Every instance this backend runs for Berth, found afresh (pid files, labels). */
    List<RunningInstance> list();

    /**
     * Sets the one listener told of every instance exit that the platform did not ask for, as
     * soon as the backend learns of it. Replaces any earlier listener.
     */
    void onExit(ExitListener listener);

    /**
     * The latest liveness check of each node this backend reaches over a network (SSH hosts), as
     * of the backend's last check: it returns at once, without a round trip. Such a backend checks
     * every node in the background (one round trip per node, not per instance) and reports the
     * exits it finds through {@link #onExit}. Backends whose nodes cannot fail apart from the
     * platform's own host (local processes, one Docker engine), and backends whose engine moves
     * instances off failed nodes itself, return an empty list, and the platform then watches no
     * node.
     */
    default List<NodeStatus> nodeStatus() {
        return List.of();
    }

    /**
     * Sets the one listener told of each line of output while a release is prepared on a node (an
     * image build, the app's setup), as it comes. Replaces any earlier listener. Backends that
     * prepare nothing ignore it.
     */
    default void onBuildOutput(BuildListener listener) {
    }

    /** Logs and commands of instances. */
    InstanceConsole console();

    /** Releases the backend's own resources (threads, connections); instances keep running. */
    @Override
    void close();

    /**
     * Told of instance exits; called from a backend thread and must not block. {@code handle} is
     * the handle of the process that ended (as in {@link RunningInstance#handle()}), so that a
     * late exit of an old process is never taken for the exit of its replacement.
     */
    @FunctionalInterface
    interface ExitListener {
        /** An instance ended without being asked to. */
        void exited(String instanceId, String handle, ExitInfo exit);
    }

    /** Told of build output; called from a backend thread and must not block. */
    @FunctionalInterface
    interface BuildListener {
        /** One line of a release's preparation output on a node. */
        void output(String app, String release, String node, String line);
    }
}
