// The Instance handle a Platform hands out: its record from the loop's view, its console from the backend.
package dev.berth.core;

import dev.berth.spi.Backend;
import dev.berth.api.ExecResult;
import dev.berth.api.Instance;
import dev.berth.api.InstanceInfo;
import dev.berth.api.InstanceRecord;
import dev.berth.core.internal.reconcile.Reconciler;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** A handle on one instance. */
final class InstanceHandle implements Instance {
    private final Platform platform;
    private final Reconciler reconciler;
    private final Backend backend;
    private final String id;

    InstanceHandle(Platform platform, Reconciler reconciler, Backend backend, String id) {
        this.platform = platform;
        this.reconciler = reconciler;
        this.backend = backend;
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public InstanceRecord record() {
        return platform.record(id);
    }

    @Override
    public void stop() {
        reconciler.stopInstance(id);
    }

    @Override
    public void restart() {
        reconciler.restartInstance(id);
    }

    @Override
    public void kill() {
        reconciler.killInstance(id);
    }

    @Override
    public void remove() {
        reconciler.removeInstance(id);
    }

    @Override
    public InstanceInfo info() {
        return platform.info(id);
    }

    @Override
    public Map<String, String> environment() {
        return platform.environment(id);
    }

    @Override
    public List<String> logs(int lines) {
        return platform.logs(id, lines);
    }

    @Override
    public AutoCloseable follow(Consumer<String> consumer) {
        platform.record(id);
        return backend.console().follow(id, consumer);
    }

    @Override
    public ExecResult exec(List<String> argv, Duration timeout) {
        return platform.exec(id, argv, timeout);
    }

    @Override
    public String toString() {
        return "Instance[" + id + "]";
    }
}
