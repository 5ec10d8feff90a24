// The containers this backend knows and their exits: die events and resyncs reported once to the exit listener.
package dev.berth.backend.docker;

import static dev.berth.backend.docker.DockerBackend.NODE;
import static dev.berth.backend.docker.DockerBackend.shortId;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;

import dev.berth.spi.Backend;
import dev.berth.api.ExitInfo;
import dev.berth.spi.RunningInstance;
import dev.berth.support.ExitCodes;

/**
 * Tracks the containers this backend started or listed and reports each one's exit once: from the
 * engine's {@code die} events (through an {@link ExitWatcher} on this node's label) or, after the
 * event stream reconnects, from inspecting every tracked container. An exit the platform asked for
 * (a stop) and exits after the backend closed are logged, not reported. Thread-safe.
 */
final class ContainerExits {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerExits.class);

    /** A container this backend knows; {@code stopRequested} and {@code done} make each exit count once. */
    static final class TrackedContainer {
        final RunningInstance instance;
        volatile boolean stopRequested;
        final AtomicBoolean done = new AtomicBoolean();

        TrackedContainer(RunningInstance instance) {
            this.instance = instance;
        }

        String containerId() {
            return instance.handle();
        }

        @Override
        public String toString() {
            return "app '" + instance.app() + "' instance '" + instance.instanceId() + "' (container "
                    + shortId(instance.handle()) + ")";
        }
    }

    private final Engine engine;
    private final ExitWatcher watcher;
    /** Containers this backend started or listed, by container id. */
    private final Map<String, TrackedContainer> tracked = new ConcurrentHashMap<>();
    private volatile Backend.ExitListener listener = (id, handle, exit) -> { };

    ContainerExits(Engine engine) {
        this.engine = engine;
        this.watcher = new ExitWatcher(engine.docker, Map.of(NODE, engine.node), this::died, this::resync,
                engine.dockerHost);
    }

    /** Starts following the event stream. */
    void start() {
        watcher.start();
    }

    void onExit(Backend.ExitListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Tracks the container {@code instance} runs in (once) and returns it. */
    TrackedContainer track(RunningInstance instance) {
        boolean[] created = new boolean[1];
        TrackedContainer t = tracked.computeIfAbsent(instance.handle(), k -> {
            created[0] = true;
            return new TrackedContainer(instance);
        });
        if (created[0]) {
            LOG.debug("tracking {}", t);
        }
        return t;
    }

    /** Marks a tracked container's coming exit as asked for; null when it is not tracked. */
    TrackedContainer stopRequested(String containerId) {
        TrackedContainer t = tracked.get(containerId);
        if (t != null) {
            t.stopRequested = true;
        }
        return t;
    }

    /** Forgets a container stopped on request, unless its exit was handled already. */
    void stopped(TrackedContainer t) {
        if (t != null && t.done.compareAndSet(false, true)) {
            tracked.remove(t.containerId(), t);
        }
    }

    /** How many containers are tracked. */
    int size() {
        return tracked.size();
    }

    /** A die event from the stream (or a resync): reports it once unless the platform asked for it. */
    private void died(String containerId, int code, String detail) {
        TrackedContainer t = tracked.get(containerId);
        if (t == null) {
            LOG.debug("container {} died but is not known to this backend", shortId(containerId));
            return;
        }
        if (!t.done.compareAndSet(false, true)) {
            return;
        }
        tracked.remove(containerId, t);
        if (t.stopRequested) {
            LOG.info("{} stopped", t);
            return;
        }
        String reason = ExitCodes.describe(code);
        if (detail != null) {
            reason += " (" + detail + ")";
        }
        if (engine.isClosed()) {
            LOG.info("{} {} (not reported: the backend is closed)", t, reason);
            return;
        }
        LOG.warn("{} {}", t, reason);
        try {
            listener.exited(t.instance.instanceId(), containerId, new ExitInfo(code, Instant.now(), reason));
        } catch (RuntimeException e) {
            LOG.warn("exit listener failed for {}: {}", t, e.toString(), e);
        }
    }

    /** After (re)connecting the event stream: every known container that no longer runs is an exit. */
    private void resync() {
        for (TrackedContainer t : List.copyOf(tracked.values())) {
            try {
                InspectContainerResponse c = engine.docker.inspectContainerCmd(t.containerId()).exec();
                if (!Boolean.TRUE.equals(c.getState().getRunning())) {
                    Long code = c.getState().getExitCodeLong();
                    died(t.containerId(), code == null ? ExitInfo.UNKNOWN : code.intValue(), "seen on resync");
                }
            } catch (NotFoundException e) {
                died(t.containerId(), ExitInfo.UNKNOWN, "container removed, seen on resync");
            } catch (RuntimeException e) {
                LOG.debug("resync of {} failed: {}", t, e.toString());
            }
        }
    }

    /** For tests: the event stream is dropped as if the connection were lost. */
    void dropEventStream() {
        watcher.dropStream();
    }

    /** Stops following the event stream. */
    void close() {
        watcher.close();
    }
}
