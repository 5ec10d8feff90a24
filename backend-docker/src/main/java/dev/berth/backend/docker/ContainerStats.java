// Readings from the engine for accounting: one running container's resource use, the engine's capacities.
package dev.berth.backend.docker;

import static dev.berth.backend.docker.DockerBackend.containerName;
import static dev.berth.backend.docker.DockerBackend.shortId;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.api.model.Statistics;

import dev.berth.api.BackendException;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.backend.docker.DockerBackend.Stats;

/**
 * Reads a running container's cpu time and memory ({@code docker stats --no-stream}) and the
 * engine's CPUs and memory ({@code docker info}). Thread-safe (no state of its own).
 */
final class ContainerStats {
    private final Engine engine;

    ContainerStats(Engine engine) {
        this.engine = engine;
    }

    /** As {@link DockerBackend#nodeSpec()}. */
    NodeSpec nodeSpec() {
        Info info = engine.call("docker info", () -> engine.docker.infoCmd().exec());
        Integer cpus = info.getNCPU();
        Long memory = info.getMemTotal();
        if (cpus == null || memory == null) {
            throw new BackendException("docker info on " + engine.dockerHost + " reported no CPU count or memory size");
        }
        return NodeSpec.of(engine.node, Resources.builder().cpu(cpus).memoryMb(memory / (1024 * 1024)).build());
    }

    /** As {@link DockerBackend#stats(String)}, for a checked {@code id}. */
    Stats read(String id) {
        String what = "instance '" + id + "'";
        InspectContainerResponse c = engine.inspectOrNull(containerName(id), what);
        if (c == null || !Boolean.TRUE.equals(c.getState().getRunning())) {
            throw new BackendException(what + ": no running container " + containerName(id) + " on " + engine.dockerHost);
        }
        AtomicReference<Statistics> got = new AtomicReference<>();
        ResultCallback.Adapter<Statistics> callback = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Statistics s) {
                got.compareAndSet(null, s);
            }
        };
        try {
            engine.docker.statsCmd(c.getId()).withNoStream(true).exec(callback).awaitCompletion(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(what + ": interrupted while reading stats", e);
        } catch (RuntimeException e) {
            throw engine.failure(what + ": read stats of container " + shortId(c.getId()), e);
        }
        var s = got.get();
        if (s == null || s.getCpuStats() == null || s.getMemoryStats() == null) {
            throw new BackendException(what + ": the engine at " + engine.dockerHost + " gave no stats for container "
                    + shortId(c.getId()));
        }
        Long cpu = s.getCpuStats().getCpuUsage() == null ? null : s.getCpuStats().getCpuUsage().getTotalUsage();
        Long mem = s.getMemoryStats().getUsage();
        Long limit = s.getMemoryStats().getLimit();
        Instant at;
        try {
            at = Instant.parse(s.getRead());
        } catch (RuntimeException e) {
            at = Instant.now();
        }
        return new Stats(Duration.ofNanos(cpu == null ? 0 : cpu), mem == null ? 0 : mem, limit == null ? 0 : limit, at);
    }
}
