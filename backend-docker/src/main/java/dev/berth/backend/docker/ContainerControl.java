// This node's instance containers: start, stop and kill (idempotent, serialized per instance id) and list (adopt).
package dev.berth.backend.docker;

import static dev.berth.backend.docker.DockerBackend.APP;
import static dev.berth.backend.docker.DockerBackend.INSTANCE;
import static dev.berth.backend.docker.DockerBackend.NODE;
import static dev.berth.backend.docker.DockerBackend.RELEASE;
import static dev.berth.backend.docker.DockerBackend.containerName;
import static dev.berth.backend.docker.DockerBackend.shortId;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;

import dev.berth.api.BackendException;
import dev.berth.spi.LaunchRequest;
import dev.berth.spi.RunningInstance;
import dev.berth.support.IdLocks;

/**
 * Starts an instance as the container {@link ContainerSpec} describes (a no-op when it runs, a
 * leftover stopped container removed first, a concurrent start by another backend object on the
 * same engine adopted instead of duplicated), stops it (SIGTERM, SIGKILL after the grace, then
 * removed) and kills it (SIGKILL; its exit is reported like a crash); lists the running containers
 * labelled with this node and tracks them for their exits. Containers of other nodes are refused or
 * left alone. Thread-safe: operations on one instance id are serialized, on different
 * ids run in parallel.
 */
final class ContainerControl {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerControl.class);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);
    private static final String TAKEN = "taken:";

    private final Engine engine;
    private final ContainerExits exits;
    private final ImageBuilds images;
    private final Map<String, String> extraLabels;
    private final IdLocks locks = new IdLocks();

    ContainerControl(Engine engine, ContainerExits exits, ImageBuilds images, Map<String, String> extraLabels) {
        this.engine = engine;
        this.exits = exits;
        this.images = images;
        this.extraLabels = extraLabels;
    }

    /** As {@link DockerBackend#start(LaunchRequest)}, for a checked {@code id} of this node. */
    RunningInstance start(String id, LaunchRequest request, String what) {
        if (!request.app().setup().isEmpty()) {
            throw new BackendException(what + ": a setup " + request.app().setup() + " is not run by the Docker backend: "
                    + "build it into the image instead (RUN in the Dockerfile)");
        }
        IdLocks.Held lock = locks.lock(id);
        try {
            InspectContainerResponse existing = engine.owned(engine.awaitCreated(containerName(id), what), id, what, true);
            if (existing != null) {
                if (Boolean.TRUE.equals(existing.getState().getRunning())) {
                    ContainerExits.TrackedContainer t = exits.track(engine.toInstance(existing));
                    LOG.debug("{} already runs: start is a no-op", t);
                    return t.instance;
                }
                LOG.info("{}: removing the leftover stopped container {}", what, shortId(existing.getId()));
                engine.removeQuietly(existing.getId(), what);
            }
            String image = images.imageFor(request.app(), request.release(), what);
            return create(id, request, image, what);
        } finally {
            lock.close();
        }
    }

    private RunningInstance create(String id, LaunchRequest request, String image, String what) {
        ContainerSpec container = ContainerSpec.of(request, image, engine.publishAddress, extraLabels);
        String containerId = create(what + ": create container from image '" + image + "'",
                () -> container.applyTo(engine.docker.createContainerCmd(image), () -> imageWorkDir(image, what))
                        .exec().getId(),
                () -> {
                    // the engine reserves the name before the container can be inspected: wait for it to show up and run
                    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                    while (System.nanoTime() < deadline) {
                        InspectContainerResponse other = engine.inspectOrNull(containerName(id), what);
                        if (other != null && Boolean.TRUE.equals(other.getState().getRunning())) {
                            return other;
                        }
                        if (other != null && !"created".equals(other.getState().getStatus())) {
                            return null;
                        }
                        Engine.sleep(50);
                    }
                    return null;
                });
        if (containerId.startsWith(TAKEN)) {
            InspectContainerResponse other = engine.owned(engine.inspectOrNull(containerName(id), what), id, what, true);
            if (other == null) {
                throw new BackendException(what + ": container name " + containerName(id) + " was taken and is gone again; retry");
            }
            ContainerExits.TrackedContainer t = exits.track(engine.toInstance(other));
            LOG.info("{} was started concurrently by another backend: start is a no-op", t);
            return t.instance;
        }
        try {
            engine.call(what + ": start container " + shortId(containerId), () -> {
                engine.docker.startContainerCmd(containerId).exec();
                return null;
            });
            InspectContainerResponse inspected = engine.call(what + ": inspect container " + shortId(containerId),
                    () -> engine.docker.inspectContainerCmd(containerId).exec());
            RunningInstance running = engine.toInstance(inspected);
            ContainerExits.TrackedContainer t = exits.track(running);
            LOG.info("{} release '{}' started from image '{}'{}", t, request.release(), image,
                    running.endpoint() == null ? "" : ", endpoint " + running.endpoint());
            if (!Boolean.TRUE.equals(inspected.getState().getRunning())) {
                // it exited at once: the die event (or the resync) reports it
                LOG.warn("{} exited right after its start: {}", t, inspected.getState().getStatus());
            }
            return running;
        } catch (RuntimeException e) {
            engine.removeQuietly(containerId, what);
            throw e;
        }
    }

    /** The image's WORKDIR, for an app's relative working dir (code built from a Dockerfile). */
    private String imageWorkDir(String image, String what) {
        return engine.call(what + ": inspect image '" + image + "'", () -> {
            var config = engine.docker.inspectImageCmd(image).exec().getConfig();
            return config == null ? null : config.getWorkingDir();
        });
    }

    /** Creates a container; on a name conflict with a running container returns {@code TAKEN}. */
    private String create(String what, Supplier<String> create, Supplier<InspectContainerResponse> running) {
        try {
            return create.get();
        } catch (NotFoundException e) {
            throw new BackendException(what + " failed: the image is not on the Docker Engine at " + engine.dockerHost
                    + " (nothing is pulled: build or load it first): " + e.getMessage().trim(), e);
        } catch (ConflictException e) {
            InspectContainerResponse other = running.get();
            if (other != null) {
                return TAKEN + other.getId();
            }
            throw engine.failure(what, e);
        } catch (RuntimeException e) {
            throw engine.failure(what, e);
        }
    }

    /** As {@link DockerBackend#stop(String, Duration)}, for a checked {@code id}. */
    void stop(String id, Duration grace) {
        String what = "instance '" + id + "'";
        IdLocks.Held lock = locks.lock(id);
        try {
            InspectContainerResponse c = engine.owned(engine.inspectOrNull(containerName(id), what), id, what, false);
            if (c == null) {
                LOG.debug("{} has no container: stop is a no-op", what);
                return;
            }
            ContainerExits.TrackedContainer t = exits.stopRequested(c.getId());
            if (Boolean.TRUE.equals(c.getState().getRunning())) {
                int seconds = (int) Math.min(Integer.MAX_VALUE, (grace.toMillis() + 999) / 1000);
                LOG.info("stopping {} (container {}): SIGTERM, SIGKILL after {} s", what, shortId(c.getId()), seconds);
                try {
                    engine.call(what + ": stop container " + shortId(c.getId()), () -> {
                        engine.docker.stopContainerCmd(c.getId()).withTimeout(seconds).exec();
                        return null;
                    });
                } catch (BackendException e) {
                    if (!(e.getCause() instanceof NotModifiedException) && !(e.getCause() instanceof NotFoundException)) {
                        throw e;
                    }
                }
            }
            exits.stopped(t);
            engine.removeQuietly(c.getId(), what);
            LOG.info("{} stopped and removed", what);
        } finally {
            lock.close();
        }
    }

    /** As {@link DockerBackend#kill(String)}, for a checked {@code id}. */
    void kill(String id) {
        String what = "instance '" + id + "'";
        IdLocks.Held lock = locks.lock(id);
        try {
            InspectContainerResponse c = engine.owned(engine.inspectOrNull(containerName(id), what), id, what, false);
            if (c == null || !Boolean.TRUE.equals(c.getState().getRunning())) {
                LOG.debug("{} does not run: kill is a no-op", what);
                return;
            }
            exits.track(engine.toInstance(c));
            LOG.info("killing {} (container {}): SIGKILL", what, shortId(c.getId()));
            try {
                engine.docker.killContainerCmd(c.getId()).exec();
            } catch (ConflictException | NotFoundException e) {
                LOG.debug("{} was already gone: {}", what, e.getMessage());
                return;
            } catch (RuntimeException e) {
                throw engine.failure(what + ": kill container " + shortId(c.getId()), e);
            }
            long deadline = System.nanoTime() + KILL_WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                InspectContainerResponse now = engine.inspectOrNull(c.getId(), what);
                if (now == null || !Boolean.TRUE.equals(now.getState().getRunning())) {
                    return; // its exit is reported from the die event, like a crash
                }
                Engine.sleep(50);
            }
            throw new BackendException(what + ": container " + shortId(c.getId()) + " still runs " + KILL_WAIT
                    + " after SIGKILL");
        } finally {
            lock.close();
        }
    }

    /** The running containers of this node's instances, each tracked for its exit (adopted). */
    List<RunningInstance> list() {
        List<Container> containers = engine.call("list the containers of node '" + engine.node + "'",
                () -> engine.docker.listContainersCmd().withLabelFilter(Map.of(NODE, engine.node)).exec());
        List<RunningInstance> result = new ArrayList<>();
        for (Container c : containers) {
            Map<String, String> labels = c.getLabels() == null ? Map.of() : c.getLabels();
            if (labels.get(INSTANCE) == null || labels.get(APP) == null || labels.get(RELEASE) == null) {
                continue;
            }
            try {
                InspectContainerResponse inspected = engine.docker.inspectContainerCmd(c.getId()).exec();
                if (Boolean.TRUE.equals(inspected.getState().getRunning())) {
                    result.add(exits.track(engine.toInstance(inspected)).instance);
                }
            } catch (NotFoundException e) {
                LOG.debug("container {} went away while listing", shortId(c.getId()));
            } catch (RuntimeException e) {
                throw engine.failure("list: inspect container " + shortId(c.getId()), e);
            }
        }
        return result;
    }
}
