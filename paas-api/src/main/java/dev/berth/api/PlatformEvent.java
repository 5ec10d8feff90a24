package dev.berth.api;

import java.time.Duration;
import java.time.Instant;

/**
 * Something that happened to an app or instance. Delivered to {@link PlatformListener}s in the
 * order it happened, per app. Immutable.
 */
public sealed interface PlatformEvent {
    /** When it happened. */
    Instant at();

    /** The app concerned; empty for events of nodes ({@link NodeDown}, {@link NodeUp}, {@link ControlPlaneSuspect}, ...). */
    String app();

    /** A new spec or release was accepted. */
    record AppDeployed(Instant at, String app, String release) implements PlatformEvent {
    }

    /** The instance count changed. */
    record AppScaled(Instant at, String app, Instances instances) implements PlatformEvent {
    }

    /** The app was stopped (spec kept) or removed (spec gone). */
    record AppStopped(Instant at, String app, boolean removed) implements PlatformEvent {
    }

    /** Instances that could not be placed, and why. */
    record InstancesUnplaced(Instant at, String app, int count, String reason) implements PlatformEvent {
    }

    /** The backend is starting an instance on a node. */
    record InstanceStarting(Instant at, String app, String instance, String node) implements PlatformEvent {
    }

    /** An instance's process runs. */
    record InstanceStarted(Instant at, String app, String instance, String node, Endpoint endpoint, String handle)
            implements PlatformEvent {
    }

    /** A running instance from before a platform restart was taken over without restarting it. */
    record InstanceAdopted(Instant at, String app, String instance, String node, String handle) implements PlatformEvent {
    }

    /** Starting an instance failed. */
    record InstanceStartFailed(Instant at, String app, String instance, String reason) implements PlatformEvent {
    }

    /** An instance passed its health check (or, without one, is running). */
    record InstanceHealthy(Instant at, String app, String instance) implements PlatformEvent {
    }

    /** An instance failed its health check too often, or is failing it. */
    record InstanceUnhealthy(Instant at, String app, String instance, String reason) implements PlatformEvent {
    }

    /** An instance's process ended without being asked to. */
    record InstanceExited(Instant at, String app, String instance, ExitInfo exit) implements PlatformEvent {
    }

    /** A dead instance will be started again after {@code delay}; {@code restarts} counts respawns. */
    record InstanceRespawning(Instant at, String app, String instance, int restarts, Duration delay)
            implements PlatformEvent {
    }

    /** An instance was stopped on purpose (scale down, stop, replacement). */
    record InstanceStopped(Instant at, String app, String instance) implements PlatformEvent {
    }

    /**
     * A node stopped answering for longer than the platform's threshold: its instances are lost
     * and placed on the other nodes, and it takes no new instances until it answers again.
     */
    record NodeDown(Instant at, String node, String reason) implements PlatformEvent {
        @Override
        public String app() {
            return "";
        }
    }

    /** A node that was down answers again; instances it still runs that were placed elsewhere are stopped. */
    record NodeUp(Instant at, String node) implements PlatformEvent {
        @Override
        public String app() {
            return "";
        }
    }

    /**
     * More than half of the nodes that were up fell silent at once ({@code silent} of
     * {@code nodes}): the platform suspects its own connectivity, not the nodes, so it marks no
     * node down, moves no instance and keeps routing until they answer again.
     */
    record ControlPlaneSuspect(Instant at, int silent, int nodes) implements PlatformEvent {
        @Override
        public String app() {
            return "";
        }
    }

    /**
     * Enough nodes answer again after a {@link ControlPlaneSuspect}: at most half of the
     * {@code nodes} are silent, and node liveness counts again (a node still silent may now go down).
     */
    record ControlPlaneTrusted(Instant at, int silent, int nodes) implements PlatformEvent {
        @Override
        public String app() {
            return "";
        }
    }

    /** An instance on a node that went down: forgotten, and replaced by a new instance elsewhere. */
    record InstanceLost(Instant at, String app, String instance, String node, String reason) implements PlatformEvent {
    }

    /** An instance that a node still ran after it was lost there (a partition that healed) was stopped. */
    record StaleInstanceStopped(Instant at, String app, String instance, String node) implements PlatformEvent {
    }

    /** A line of output while release {@code release} was prepared on {@code node} (image build, setup). */
    record BuildOutput(Instant at, String app, String release, String node, String line) implements PlatformEvent {
    }

    /** A new release began to replace {@code fromRelease} (empty for a first deploy). */
    record DeployStarted(Instant at, String app, String release, String fromRelease) implements PlatformEvent {
    }

    /** {@code healthy} of the {@code of} instances of the new release are healthy. */
    record DeployProgress(Instant at, String app, String release, int healthy, int of) implements PlatformEvent {
    }

    /** The router sends the app's traffic to the new release only: no old instance is routed any more. */
    record TrafficSwitched(Instant at, String app, String release) implements PlatformEvent {
    }

    /** Every instance of the new release is healthy and every old one is stopped. */
    record DeploySucceeded(Instant at, String app, String release, Duration took) implements PlatformEvent {
    }

    /**
     * The new release failed ({@code reason}); the app goes back to {@code rolledBackTo}, the
     * release that served before (which kept serving meanwhile).
     */
    record DeployFailed(Instant at, String app, String release, String reason, String rolledBackTo)
            implements PlatformEvent {
    }
}
