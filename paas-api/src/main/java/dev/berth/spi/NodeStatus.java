package dev.berth.spi;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What a backend last heard from one of its nodes in a liveness check: when the node last
 * answered and which Berth instances ran on it then. The platform marks a node down when it has
 * not answered for longer than its threshold, and stops the stale instances a node that comes
 * back still runs. Immutable.
 *
 * @param node        the node's id
 * @param lastContact when the listing of the node's last answered liveness check was taken (its
 *                    start, so that an instance stopped after it may still be listed), or
 *                    {@code null} if it never answered; on the same clock as the platform's (both
 *                    default to the system clock)
 * @param lastError   why the latest check failed, or {@code null} when it answered
 * @param running     the instances the node reported in its last answer
 */
public record NodeStatus(String node, Instant lastContact, String lastError, List<RunningInstance> running) {
    public NodeStatus {
        Objects.requireNonNull(node, "node");
        running = List.copyOf(running);
    }

    /** Whether the latest check reached the node. */
    public boolean reachable() {
        return lastError == null && lastContact != null;
    }
}
