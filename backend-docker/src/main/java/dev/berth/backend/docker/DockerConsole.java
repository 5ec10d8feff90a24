// The console of a container instance: its environment, a description, its logs (last lines or followed), exec and terminals.
package dev.berth.backend.docker;

import static dev.berth.backend.docker.DockerBackend.checkedId;
import static dev.berth.backend.docker.DockerBackend.containerName;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;

import dev.berth.api.BackendException;
import dev.berth.support.docker.DockerTerminal;
import dev.berth.api.ExecResult;
import dev.berth.api.ExitInfo;
import dev.berth.spi.InstanceConsole;
import dev.berth.spi.RunningInstance;
import dev.berth.support.CappedOutput;

/**
 * The {@link InstanceConsole} of the Docker backend: reads a container's environment and settings
 * from the engine, its logs through the engine's log stream ({@link LogLines}: lines cut after
 * 4 KiB, at most 1 MiB per call), follows them until the handle or the backend is closed, and runs
 * commands in it with {@code docker exec} (output capped at 1 MiB) and opens terminals in it
 * ({@link DockerTerminal}). Thread-safe.
 */
final class DockerConsole implements InstanceConsole {
    private static final Logger LOG = LoggerFactory.getLogger(DockerConsole.class);
    private static final int EXEC_OUTPUT_CAP = 1 << 20;

    private final Engine engine;
    private final Set<AutoCloseable> followers = ConcurrentHashMap.newKeySet();

    DockerConsole(Engine engine) {
        this.engine = engine;
    }

    /** The container's environment as the engine started it (the image's env with the app's over it). */
    @Override
    public Map<String, String> environment(String instanceId) {
        return Engine.envOf(runningContainer(instanceId));
    }

    @Override
    public Map<String, String> describe(String instanceId) {
        InspectContainerResponse c = runningContainer(instanceId);
        Map<String, String> d = new LinkedHashMap<>();
        d.put("backend", "docker");
        d.put("docker.host", engine.dockerHost);
        d.put("container.id", c.getId());
        d.put("container.name", c.getName() == null ? containerName(instanceId) : c.getName().replaceFirst("^/", ""));
        d.put("image", c.getConfig() == null ? "?" : String.valueOf(c.getConfig().getImage()));
        d.put("image.id", String.valueOf(c.getImageId()));
        d.put("status", c.getState() == null ? "?" : String.valueOf(c.getState().getStatus()));
        d.put("pid", c.getState() == null ? "?" : String.valueOf(c.getState().getPidLong()));
        d.put("started.at", c.getState() == null ? "?" : String.valueOf(c.getState().getStartedAt()));
        HostConfig h = c.getHostConfig();
        d.put("memory.limit.bytes", h == null || h.getMemory() == null ? "0" : Long.toString(h.getMemory()));
        d.put("nano.cpus", h == null || h.getNanoCPUs() == null ? "0" : Long.toString(h.getNanoCPUs()));
        d.put("restart.policy", h == null || h.getRestartPolicy() == null ? "?" : String.valueOf(h.getRestartPolicy()));
        d.put("working.dir", c.getConfig() == null ? "" : String.valueOf(c.getConfig().getWorkingDir()));
        d.put("user", c.getConfig() == null ? "" : String.valueOf(c.getConfig().getUser()));
        RunningInstance ri = engine.toInstance(c);
        d.put("endpoint", ri.endpoint() == null ? "" : ri.endpoint().toString());
        return d;
    }

    private InspectContainerResponse runningContainer(String instanceId) {
        String id = checkedId(instanceId);
        String what = "instance '" + id + "'";
        InspectContainerResponse c = engine.inspectOrNull(containerName(id), what);
        if (c == null || c.getState() == null || !Boolean.TRUE.equals(c.getState().getRunning())) {
            throw new dev.berth.api.NotFoundException(what + ": no running container " + containerName(id) + " on "
                    + engine.dockerHost);
        }
        return c;
    }

    @Override
    public List<String> logs(String instanceId, int lines) {
        String id = checkedId(instanceId);
        if (lines < 0) {
            throw new IllegalArgumentException("lines " + lines + " is not allowed: must be 0 or more");
        }
        if (lines == 0) {
            return List.of();
        }
        String what = "instance '" + id + "'";
        engine.requireContainer(id, what);
        LogLines collected = LogLines.collecting(lines);
        try {
            if (!engine.docker.logContainerCmd(containerName(id)).withStdOut(true).withStdErr(true).withTail(lines)
                    .exec(collected).awaitCompletion(30, TimeUnit.SECONDS)) {
                collected.close();
                LOG.warn("{}: reading its logs took over 30 s: returning the lines read so far", what);
            }
        } catch (NotFoundException e) {
            throw engine.noContainer(id, what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(what + ": interrupted while reading logs", e);
        } catch (IOException e) {
            LOG.debug("{}: closing the log stream failed: {}", what, e.toString());
        } catch (RuntimeException e) {
            throw engine.failure(what + ": read logs", e);
        }
        return collected.lines();
    }

    @Override
    public AutoCloseable follow(String instanceId, Consumer<String> consumer) {
        String id = checkedId(instanceId);
        Objects.requireNonNull(consumer, "consumer");
        engine.ensureOpen();
        String what = "instance '" + id + "'";
        engine.requireContainer(id, what);
        LogLines callback = LogLines.following(consumer);
        try {
            engine.docker.logContainerCmd(containerName(id)).withStdOut(true).withStdErr(true).withTail(0)
                    .withFollowStream(true).exec(callback);
        } catch (NotFoundException e) {
            throw engine.noContainer(id, what, e);
        } catch (RuntimeException e) {
            throw engine.failure(what + ": follow logs", e);
        }
        AutoCloseable handle = new AutoCloseable() {
            @Override
            public void close() throws IOException {
                followers.remove(this);
                callback.close();
            }
        };
        followers.add(handle);
        return handle;
    }

    @Override
    public ExecResult exec(String instanceId, List<String> argv, Duration timeout) {
        String id = checkedId(instanceId);
        InstanceConsole.checkArgv(argv);
        InstanceConsole.checkTimeout(timeout);
        String what = "instance '" + id + "'";
        LOG.info("{}: exec {}", what, argv.get(0));
        String execId;
        try {
            execId = engine.docker.execCreateCmd(containerName(id)).withCmd(argv.toArray(String[]::new))
                    .withAttachStdout(true).withAttachStderr(true).exec().getId();
        } catch (NotFoundException e) {
            throw engine.noContainer(id, what, e);
        } catch (ConflictException e) {
            throw new BackendException(what + ": container " + containerName(id) + " does not run: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw engine.failure(what + ": exec " + argv, e);
        }
        Capped out = new Capped(EXEC_OUTPUT_CAP);
        boolean finished;
        try {
            finished = engine.docker.execStartCmd(execId).exec(out).awaitCompletion(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(what + ": interrupted during exec " + argv, e);
        } catch (RuntimeException e) {
            throw engine.failure(what + ": exec " + argv, e);
        }
        String output = out.text();
        if (!finished) {
            try {
                out.close();
            } catch (IOException e) {
                LOG.debug("closing the exec stream failed: {}", e.toString());
            }
            return new ExecResult(ExitInfo.UNKNOWN, output + (output.isEmpty() || output.endsWith("\n")
                    ? "" : "\n") + "[berth: no exit within the timeout of " + timeout
                    + "; the command may still run in the container]\n");
        }
        Long code = engine.call(what + ": inspect exec", () -> engine.docker.inspectExecCmd(execId).exec().getExitCodeLong());
        return new ExecResult(code == null ? ExitInfo.UNKNOWN : code.intValue(), output);
    }

    /**
     * Opens {@code argv} in the instance's running container on a terminal ({@link DockerTerminal}:
     * Docker's {@code exec -it}, as the container's user in its working directory). The backend's
     * close closes it too.
     */
    @Override
    public dev.berth.spi.Terminal terminal(String instanceId, List<String> argv, int cols, int rows) {
        InstanceConsole.checkArgv(argv);
        dev.berth.spi.Terminal.checkSize(cols, rows);
        engine.ensureOpen();
        InspectContainerResponse c = runningContainer(instanceId);
        String what = "instance '" + checkedId(instanceId) + "'";
        DockerTerminal t = DockerTerminal.start(engine.docker, engine.dockerHost, c, argv, cols, rows, what, followers::remove);
        followers.add(t);
        return t;
    }

    /** Closes every follower and terminal still open (the backend closes). */
    void closeFollowers() {
        for (AutoCloseable f : followers) {
            try {
                f.close();
            } catch (Exception e) {
                LOG.debug("closing a follower failed: {}", e.toString());
            }
        }
        followers.clear();
    }

    /** Hands exec output frames to a {@link CappedOutput}, which keeps the first {@code cap} bytes. */
    private static final class Capped extends ResultCallback.Adapter<Frame> {
        private final CappedOutput out;

        Capped(int cap) {
            this.out = new CappedOutput(cap);
        }

        @Override
        public void onNext(Frame frame) {
            byte[] b = frame.getPayload();
            out.write(b, 0, b.length);
        }

        String text() {
            return out.text();
        }
    }
}
