package dev.berth.backend.process;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.berth.api.Endpoint;
import dev.berth.api.RunningInstance;

/**
 * One instance this backend object watches: a child it launched or a process it adopted from a
 * pid file. The flags are written under the instance's lock and read by exit handlers.
 */
final class Tracked {
    final InstanceFile file;
    final Path dir;
    final ProcessHandle handle;
    /** Whether this JVM launched it (exits come from Commons Exec with the real code). */
    final boolean child;
    /** Set once its exit has been handled (reported or, for a stop, swallowed). */
    final AtomicBoolean finished = new AtomicBoolean();
    volatile boolean stopRequested;
    volatile boolean killRequested;

    Tracked(InstanceFile file, Path dir, ProcessHandle handle, boolean child) {
        this.file = file;
        this.dir = dir;
        this.handle = handle;
        this.child = child;
    }

    String id() {
        return file.instanceId();
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
