// Commands and terminals in an instance's container, through the Engine API of the node its task runs on (a manager has no exec).
package dev.berth.backend.swarm;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Frame;
import dev.berth.api.BackendException;
import dev.berth.api.ExecResult;
import dev.berth.api.ExitInfo;
import dev.berth.spi.InstanceConsole;
import dev.berth.spi.Terminal;
import dev.berth.support.docker.DockerFailures;
import dev.berth.support.docker.DockerTerminal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code argv} in a task's container with the engine of its node ({@code builder().engine(node,
 * url)}), like {@code docker exec}: stdout and stderr together, at most {@value #CAP} bytes kept,
 * the exit code, and a note when the timeout passes first; or on a terminal, like
 * {@code docker exec -it} ({@link DockerTerminal}). Open terminals are hung up by {@link #close()}.
 * Thread-safe.
 */
final class SwarmExec implements AutoCloseable {
    static final int CAP = 1 << 20;
    private final Map<String, SwarmApi> engines;
    private final Set<Terminal> terminals = ConcurrentHashMap.newKeySet();

    SwarmExec(Map<String, SwarmApi> engines) {
        this.engines = Map.copyOf(engines);
    }

    ExecResult exec(String instanceId, String node, String containerId, List<String> argv, Duration timeout) {
        InstanceConsole.checkArgv(argv);
        InstanceConsole.checkTimeout(timeout);
        SwarmApi engine = engine(instanceId, node, containerId);
        StringBuilder out = new StringBuilder();
        ResultCallback.Adapter<Frame> collect = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Frame frame) {
                synchronized (out) {
                    if (out.length() < CAP) {
                        out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                    }
                }
            }
        };
        try {
            String execId = engine.docker.execCreateCmd(containerId).withCmd(argv.toArray(String[]::new)).withAttachStdout(true)
                    .withAttachStderr(true).exec().getId();
            boolean finished = engine.docker.execStartCmd(execId).exec(collect).awaitCompletion(timeout.toMillis(), TimeUnit.MILLISECONDS);
            String text;
            synchronized (out) {
                text = out.toString();
            }
            if (!finished) {
                return new ExecResult(ExitInfo.UNKNOWN, text + "\n[berth: no exit within the timeout of " + timeout
                        + "; the command may still run in the container]\n");
            }
            Long code = engine.docker.inspectExecCmd(execId).exec().getExitCodeLong();
            return new ExecResult(code == null ? ExitInfo.UNKNOWN : code.intValue(), text);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException("instance '" + instanceId + "': interrupted during exec " + argv, e);
        } catch (RuntimeException e) {
            throw e instanceof BackendException b ? b : new BackendException("instance '" + instanceId + "': exec " + argv
                    + " on node " + node + " (" + engine.manager + ") failed: " + e.getMessage(), e);
        }
    }

    /** Opens {@code argv} on a terminal of {@code cols} by {@code rows} in the task's container, on its node's engine. */
    Terminal terminal(String instanceId, String node, String containerId, List<String> argv, int cols, int rows) {
        InstanceConsole.checkArgv(argv);
        Terminal.checkSize(cols, rows);
        SwarmApi engine = engine(instanceId, node, containerId);
        String what = "instance '" + instanceId + "'";
        InspectContainerResponse c;
        try {
            c = engine.docker.inspectContainerCmd(containerId).exec();
        } catch (RuntimeException e) {
            throw DockerFailures.of(engine.manager, what + ": inspect its container on node " + node, e);
        }
        DockerTerminal t = DockerTerminal.start(engine.docker, engine.manager, c, argv, cols, rows, what, terminals::remove);
        terminals.add(t);
        return t;
    }

    private SwarmApi engine(String instanceId, String node, String containerId) {
        SwarmApi engine = engines.get(node);
        if (engine == null) {
            throw new BackendException("instance '" + instanceId + "': exec on node " + node + " needs that node's Engine API; "
                    + "give it with SwarmBackend.builder().engine(\"" + node + "\", URL)");
        }
        if (containerId == null) {
            throw new BackendException("instance '" + instanceId + "': its task has no container yet");
        }
        return engine;
    }

    /** Hangs up every open terminal. */
    @Override
    public void close() {
        for (Terminal t : List.copyOf(terminals)) {
            t.close();
        }
    }
}
