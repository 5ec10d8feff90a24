package dev.berth.spi;

import dev.berth.api.Endpoint;
import java.time.Instant;
import java.util.Objects;

/**
 * An instance as a backend sees it running: what {@link Backend#start} returns and
 * {@link Backend#list} rediscovers after a restart of the platform. Immutable.
 *
 * @param instanceId the instance's id
 * @param app        the app's name
 * @param release    the release it runs
 * @param node       the node it runs on: the request's, unless the backend's own engine places
 *                   instances (a Swarm that schedules); the platform then records this one
 * @param endpoint   where it listens, or null when its env has no PORT
 * @param handle     the backend's handle (pid, container id)
 * @param startedAt  when its process started
 */
public record RunningInstance(String instanceId, String app, String release, String node, Endpoint endpoint,
                              String handle, Instant startedAt) {
    public RunningInstance {
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(startedAt, "startedAt");
    }
}
