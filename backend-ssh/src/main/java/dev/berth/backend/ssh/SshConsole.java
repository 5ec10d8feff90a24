// The console of instances on the hosts: their output (the last lines, or followed), exec in them, their env and details.
package dev.berth.backend.ssh;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.BackendException;
import dev.berth.api.ExecResult;
import dev.berth.spi.InstanceConsole;
import dev.berth.spi.Terminal;
import dev.berth.api.NotFoundException;
import dev.berth.support.OutputCaps;

/**
 * The {@link InstanceConsole} of the SSH backend. Logs read at most the last 1 MiB of an
 * instance's {@code output.log} on its host and return at most 1 MiB; a follower has an SSH session
 * of its own ({@link Follower}); exec runs a command in the instance's working dir and env, its
 * output kept up to 1 MiB; a terminal runs a program the way exec does, on a PTY of an exec channel
 * ({@link SshTerminal}); the environment is read from {@code /proc/<pid>/environ}, once the pid
 * is checked to be the instance.
 *
 * <p>Thread-safe.
 */
final class SshConsole implements InstanceConsole {
    private static final Logger LOG = LoggerFactory.getLogger(SshConsole.class);
    private static final int EXEC_OUTPUT_CAP = 1 << 20;

    private final SshContext ctx;
    private final HostMonitor monitor;
    private final Set<AutoCloseable> followers = ConcurrentHashMap.newKeySet();
    private final Set<SshTerminal> terminals = ConcurrentHashMap.newKeySet();

    SshConsole(SshContext ctx, HostMonitor monitor) {
        this.ctx = ctx;
        this.monitor = monitor;
    }

    /** Read from {@code /proc/<pid>/environ} on the host, once the pid is checked to be the instance. */
    @Override
    public Map<String, String> environment(String instanceId) {
        return inspect(instanceId).env();
    }

    @Override
    public Map<String, String> describe(String instanceId) {
        Inspected i = inspect(instanceId);
        // meta: v1 app release node port startedAtMillis workDir ports
        String[] meta = i.meta().split(" ");
        Map<String, String> d = new LinkedHashMap<>();
        d.put("backend", "ssh");
        d.put("host", i.link().where());
        d.put("pid", i.pid());
        d.put("node", meta.length > 3 ? meta[3] : "?");
        d.put("release", meta.length > 2 ? meta[2] : "?");
        d.put("started.at", meta.length > 5 ? Instant.ofEpochMilli(Long.parseLong(meta[5])).toString() : "?");
        d.put("working.dir", meta.length > 6 ? meta[6] : "?");
        String dir = Launcher.instanceDir(i.link().host().baseDir(), Names.segment("instance id", instanceId));
        d.put("instance.dir", dir);
        d.put("output", dir + "/output.log");
        d.put("user", i.link().host().user());
        return d;
    }

    private record Inspected(HostLink link, String pid, String meta, Map<String, String> env) {
    }

    private Inspected inspect(String instanceId) {
        String id = Names.segment("instance id", instanceId);
        ctx.ensureOpen();
        HostLink link = monitor.locate(id);
        if (link == null) {
            throw new NotFoundException("instance '" + id + "' does not run on any host " + ctx.links().keySet());
        }
        HostLink.Result r = link.run(Scripts.INSPECT, List.of(link.host().baseDir(), id), null,
                ctx.options().commandTimeout());
        if (r.exitCode() != null && r.exitCode() == 97) {
            throw new NotFoundException("instance '" + id + "' does not run on " + link.where());
        }
        r.requireOk("instance '" + id + "' on " + link.where() + ": cannot inspect it");
        // "pid P", "meta M", "ENVIRON", then the NUL-separated environment
        String text = r.text();
        int marker = text.indexOf("ENVIRON\n");
        if (marker < 0) {
            throw new BackendException("instance '" + id + "' on " + link.where() + ": unexpected answer: "
                    + Names.printable(text.trim()));
        }
        String pid = "?";
        String meta = "";
        for (String line : text.substring(0, marker).split("\n")) {
            if (line.startsWith("pid ")) {
                pid = line.substring(4);
            } else if (line.startsWith("meta ")) {
                meta = line.substring(5);
            }
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (String entry : text.substring(marker + "ENVIRON\n".length()).split("\0")) {
            int eq = entry.indexOf('=');
            if (eq > 0) {
                env.put(entry.substring(0, eq), entry.substring(eq + 1));
            }
        }
        return new Inspected(link, pid, meta, env);
    }

    @Override
    public List<String> logs(String instanceId, int lines) {
        String id = Names.segment("instance id", instanceId);
        if (lines < 0) {
            throw new IllegalArgumentException("lines " + lines + " is not allowed: must be 0 or more");
        }
        ctx.ensureOpen();
        HostLink link = home(id);
        if (lines == 0) {
            return List.of();
        }
        HostLink.Result r = link.run(Scripts.LOGS, List.of(link.host().baseDir(), id, Integer.toString(lines),
                Integer.toString(OutputCaps.ANSWER_BYTES)), null, ctx.options().commandTimeout());
        if (r.exitCode() != null && r.exitCode() == 97) {
            throw new BackendException("unknown instance '" + id + "': no instance dir on " + link.where());
        }
        r.requireOk("instance '" + id + "' on " + link.where() + ": cannot read its output");
        return OutputCaps.lastLines(r.lines(), lines, OutputCaps.ANSWER_BYTES);
    }

    @Override
    public AutoCloseable follow(String instanceId, Consumer<String> consumer) {
        String id = Names.segment("instance id", instanceId);
        Objects.requireNonNull(consumer, "consumer");
        ctx.ensureOpen();
        HostLink link = home(id);
        Follower f = Follower.open(link, Scripts.FOLLOW, List.of(link.host().baseDir(), id), consumer,
                "instance '" + id + "' on " + link.where(), ctx.options().commandTimeout());
        followers.add(f);
        return () -> {
            followers.remove(f);
            f.close();
        };
    }

    @Override
    public ExecResult exec(String instanceId, List<String> argv, Duration timeout) {
        String id = Names.segment("instance id", instanceId);
        InstanceConsole.checkArgv(argv);
        InstanceConsole.checkTimeout(timeout);
        ctx.ensureOpen();
        HostLink link = home(id);
        long secs = Math.max(1, (timeout.toMillis() + 999) / 1000);
        List<String> args = new ArrayList<>(List.of(link.host().baseDir(), id, Long.toString(secs)));
        args.addAll(argv);
        LOG.info("instance '{}' on {}: exec {}", id, link.where(), argv.get(0));
        LOG.debug("instance '{}': exec argv {}", id, argv);
        HostLink.Result r = link.run(Scripts.EXEC, args, null, timeout.plusSeconds(10));
        if (r.exitCode() == null) {
            throw new BackendException("instance '" + id + "' on " + link.where() + ": exec " + argv.get(0)
                    + " ended without an exit status");
        }
        if (r.exitCode() == 97 && r.err().contains("berth: no such instance")) {
            throw new BackendException("unknown instance '" + id + "': no instance dir on " + link.where());
        }
        byte[] bytes = r.out();
        String output = new String(bytes, 0, Math.min(bytes.length, EXEC_OUTPUT_CAP), StandardCharsets.UTF_8);
        if (bytes.length > EXEC_OUTPUT_CAP) {
            output += "\n[berth: output cut at " + EXEC_OUTPUT_CAP + " bytes]\n";
        }
        if (r.exitCode() == 124) {
            output += (output.isEmpty() || output.endsWith("\n") ? "" : "\n") + "[berth: killed after the timeout of "
                    + timeout + "]\n";
        }
        return new ExecResult(r.exitCode(), output);
    }

    /**
     * Runs argv on a pseudo-terminal in the instance's working dir and env, as {@link #exec} does
     * but without a timeout ({@link SshTerminal}). Throws NotFoundException for an id no host has.
     */
    @Override
    public Terminal terminal(String instanceId, List<String> argv, int cols, int rows) {
        String id = Names.segment("instance id", instanceId);
        InstanceConsole.checkArgv(argv);
        Terminal.checkSize(cols, rows);
        ctx.ensureOpen();
        HostLink link = monitor.locate(id);
        if (link == null) {
            throw new NotFoundException("instance '" + id + "' does not run on any host " + ctx.links().keySet()
                    + ": cannot open a terminal in it");
        }
        SshTerminal t = SshTerminal.open(link, id, argv, cols, rows, ctx.options().commandTimeout(),
                "instance '" + id + "' on " + link.where(), terminals::remove);
        terminals.add(t);
        if (t.isEnded()) {
            terminals.remove(t); // it ended before it was added
        }
        return t;
    }

    /** The host the instance was last seen on; throws for an id no host has. */
    private HostLink home(String id) {
        HostLink link = monitor.locate(id);
        if (link == null) {
            throw new BackendException("unknown instance '" + id + "': no host " + ctx.links().keySet() + " has it");
        }
        return link;
    }

    /** Closes every follower and terminal still open. */
    void close() {
        for (SshTerminal t : terminals) {
            t.close();
        }
        terminals.clear();
        for (AutoCloseable f : followers) {
            try {
                f.close();
            } catch (Exception e) {
                LOG.debug("closing a follower: {}", e.toString());
            }
        }
        followers.clear();
    }
}
