// One process instance the process backend watches: its directory, instance file and exit state.
package dev.berth.backend.process;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.berth.api.Endpoint;
import dev.berth.spi.RunningInstance;

/**
 * One instance this backend object watches: one it launched or one it adopted from a pid file;
 * either way not a child of this JVM (its wrapper records its exit). The flags are written under
 * the instance's lock and read by exit handlers.
 */
final class TrackedProcess {
    final InstanceFile file;
    final Path dir;
    /** Set once its exit has been handled (reported or, for a stop, swallowed). */
    final AtomicBoolean finished = new AtomicBoolean();
    volatile boolean stopRequested;
    volatile boolean killRequested;

    TrackedProcess(InstanceFile file, Path dir) {
        this.file = file;
        this.dir = dir;
    }

    String id() {
        return file.instanceId();
    }

    /** Its process if it still runs (same pid, same start ticks, not a zombie). */
    Optional<ProcessHandle> handle() {
        return file.process();
    }

    boolean alive() {
        return handle().isPresent();
    }

    /** Whether the wrapper that records its exit still runs; false for instances without one. */
    boolean wrapperAlive() {
        return file.wrapperPid() > 0 && Procs.find(file.wrapperPid(), null, file.wrapperTicks()).isPresent();
    }

    RunningInstance running() {
        Endpoint endpoint = file.port() == null ? null : new Endpoint(file.host(), file.port());
        return new RunningInstance(file.instanceId(), file.app(), file.release(), file.node(), endpoint,
                Long.toString(file.pid()), file.startedAt());
    }

    @Override
    public String toString() {
        return "app '" + file.app() + "' instance '" + file.instanceId() + "' (pid " + file.pid() + ")";
    }
}
