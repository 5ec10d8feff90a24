package dev.berth.spi;

import dev.berth.api.AppSpec;
import java.util.Objects;

/**
 * What a backend needs to start one instance. Immutable.
 *
 * @param instanceId the instance's id; starting an id that already runs is a no-op
 * @param node       the node chosen by the scheduler
 * @param app        the app's spec (command, env, source, resources)
 * @param release    the release to run; the backend runs {@code app.setup()} once per release and node
 */
public record LaunchRequest(String instanceId, String node, AppSpec app, String release) {
    public LaunchRequest {
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(release, "release");
    }
}
