// The logs, commands, environment and description of simulated instances.
package dev.berth.testkit;

import dev.berth.api.ExecResult;
import dev.berth.spi.InstanceConsole;
import dev.berth.api.NotFoundException;
import dev.berth.spi.RunningInstance;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The {@link InstanceConsole} of a {@link SimBackend}: logs are the lines given to
 * {@link SimBackend#print}; a command run in a running instance succeeds at once with no output;
 * the environment is the one the instance was started with, {@code RANDOM_PORT} resolved.
 * Thread-safe.
 */
final class SimConsole implements InstanceConsole {
    private final SimWorld world;
    private final SimOutput output;

    SimConsole(SimWorld world, SimOutput output) {
        this.world = world;
        this.output = output;
    }

    @Override
    public List<String> logs(String instanceId, int lines) {
        Objects.requireNonNull(instanceId, "instanceId");
        if (lines < 0) {
            throw new IllegalArgumentException("lines " + lines + " is not allowed: must be 0 or more");
        }
        return output.tail(instanceId, lines);
    }

    @Override
    public AutoCloseable follow(String instanceId, Consumer<String> consumer) {
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(consumer, "consumer");
        return output.follow(instanceId, consumer);
    }

    @Override
    public ExecResult exec(String instanceId, List<String> argv, Duration timeout) {
        InstanceConsole.checkArgv(argv);
        InstanceConsole.checkTimeout(timeout);
        running(instanceId);
        return new ExecResult(0, "");
    }

    @Override
    public Map<String, String> environment(String instanceId) {
        return running(instanceId).env();
    }

    @Override
    public Map<String, String> describe(String instanceId) {
        RunningInstance ri = running(instanceId).running();
        Map<String, String> d = new LinkedHashMap<>();
        d.put("backend", "sim");
        d.put("handle", ri.handle());
        d.put("node", ri.node());
        d.put("release", ri.release());
        d.put("started.at", ri.startedAt().toString());
        if (ri.endpoint() != null) {
            d.put("endpoint", ri.endpoint().toString());
        }
        return d;
    }

    private SimWorld.Sim running(String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId");
        SimWorld.Sim sim = world.find(instanceId);
        if (sim == null) {
            throw new NotFoundException("instance '" + instanceId + "' does not run");
        }
        return sim;
    }
}
