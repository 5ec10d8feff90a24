// The console of a process instance: its environment, a description, its output (tail or followed) and exec.
package dev.berth.backend.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

import dev.berth.support.CappedOutput;
import dev.berth.api.BackendException;
import dev.berth.api.ExecResult;
import dev.berth.spi.InstanceConsole;
import dev.berth.api.NotFoundException;

/**
 * The {@link InstanceConsole} of a {@link ProcessBackend}: environment and description of a
 * running instance, its output (tail bounded by {@link LogFiles#TAIL_CAP}, lines by
 * {@link LogFiles#LINE_CAP}), following it until the handle or the backend is closed, and exec in
 * its working directory, env and user. Thread-safe.
 */
final class ProcessConsole implements InstanceConsole {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessConsole.class);
    private static final int EXEC_OUTPUT_CAP = 1 << 20;
    /** Enters the working directory as the app's user, then runs the argv: $0 is the directory. */
    private static final String CD_AS_USER = "cd -- \"$0\" || exit 126; exec \"$@\"";

    private final InstanceScanner instances;
    private final Runnable ensureOpen;
    private final int logFiles;
    private final Set<LogFiles.Follower> followers = ConcurrentHashMap.newKeySet();

    /** {@code ensureOpen} throws when the backend is closed (no new followers then). */
    ProcessConsole(InstanceScanner instances, Runnable ensureOpen, int logFiles) {
        this.instances = instances;
        this.ensureOpen = ensureOpen;
        this.logFiles = logFiles;
    }

    /** Read from {@code /proc/<pid>/environ} of the instance's process, checked to be that instance. */
    @Override
    public Map<String, String> environment(String instanceId) {
        TrackedProcess t = running(instanceId);
        Path environ = Path.of("/proc", Long.toString(t.file.pid()), "environ");
        try {
            Map<String, String> env = new LinkedHashMap<>();
            for (String entry : new String(Files.readAllBytes(environ), StandardCharsets.UTF_8).split("\0")) {
                int eq = entry.indexOf('=');
                if (eq > 0) {
                    env.put(entry.substring(0, eq), entry.substring(eq + 1));
                }
            }
            return env;
        } catch (IOException e) {
            throw new BackendException(t + ": cannot read " + environ + ": " + e, e);
        }
    }

    @Override
    public Map<String, String> describe(String instanceId) {
        TrackedProcess t = running(instanceId);
        InstanceFile f = t.file;
        Map<String, String> d = new LinkedHashMap<>();
        d.put("backend", "process");
        d.put("pid", Long.toString(f.pid()));
        d.put("started.at", f.startedAt().toString());
        d.put("node", f.node());
        d.put("release", f.release());
        d.put("working.dir", f.workDir().toString());
        d.put("instance.dir", t.dir.toString());
        d.put("output", t.dir.resolve(LogFiles.OUTPUT).toString());
        d.put("user", f.runAs().map(RunAs::toString).orElse("(platform's user)"));
        d.put("cgroup", f.cgroup().map(c -> c.dirs().toString()).orElse("(none)"));
        d.put("command", t.handle().flatMap(h -> h.info().commandLine()).orElse("(unknown)"));
        return d;
    }

    private TrackedProcess running(String instanceId) {
        String id = Names.segment("instance id", instanceId);
        return instances.findRunning(id).orElseThrow(() -> new NotFoundException("instance '" + id + "' does not run"));
    }

    /** At most {@code lines} lines, {@link LogFiles#TAIL_CAP} bytes in all, each line cut at {@link LogFiles#LINE_CAP}. */
    @Override
    public List<String> logs(String instanceId, int lines) {
        String id = Names.segment("instance id", instanceId);
        if (lines < 0) {
            throw new IllegalArgumentException("lines " + lines + " is not allowed: must be 0 or more");
        }
        Path dir = instances.instanceDir(id);
        try {
            return LogFiles.tail(dir.resolve(LogFiles.OUTPUT), lines, logFiles);
        } catch (IOException e) {
            throw new BackendException("instance '" + id + "': cannot read its output in " + dir + ": " + e, e);
        }
    }

    @Override
    public AutoCloseable follow(String instanceId, Consumer<String> consumer) {
        String id = Names.segment("instance id", instanceId);
        Objects.requireNonNull(consumer, "consumer");
        ensureOpen.run();
        Path dir = instances.instanceDir(id);
        LogFiles.Follower follower = new LogFiles.Follower(dir.resolve(LogFiles.OUTPUT), consumer, id);
        followers.add(follower);
        return () -> {
            followers.remove(follower);
            follower.close();
        };
    }

    /** Closes every follower still open (the backend closes). */
    void closeFollowers() {
        for (LogFiles.Follower f : followers) {
            f.close();
        }
        followers.clear();
    }

    @Override
    public dev.berth.spi.Terminal terminal(String instanceId, List<String> argv, int cols, int rows) {
        String id = Names.segment("instance id", instanceId);
        InstanceConsole.checkArgv(argv);
        InstanceFile file = instances.instanceFile(id);
        String what = "app '" + file.app() + "' instance '" + id + "'";
        if (file.runAs().isPresent()) {
            return ProcessTerminal.start(file.runAs().get().prefix(), instances.instanceDir(id),
                    List.of(Wrapper.SH, "-c", CD_AS_USER, file.workDir().toString()), file.env(), argv, cols, rows, what);
        }
        return ProcessTerminal.start(List.of(), file.workDir(), List.of(), file.env(), argv, cols, rows, what);
    }

    @Override
    public ExecResult exec(String instanceId, List<String> argv, Duration timeout) {
        String id = Names.segment("instance id", instanceId);
        InstanceConsole.checkArgv(argv);
        InstanceConsole.checkTimeout(timeout);
        InstanceFile file = instances.instanceFile(id);
        List<String> command = argv;
        Path cwd = file.workDir();
        if (file.runAs().isPresent()) {
            // the platform does not enter a directory the app can write: the user does
            command = new ArrayList<>(file.runAs().get().prefix());
            command.addAll(List.of(Wrapper.SH, "-c", CD_AS_USER, file.workDir().toString()));
            command.addAll(argv);
            cwd = instances.instanceDir(id);
        }
        Launch.ExactLauncher launcher = new Launch.ExactLauncher(command, null);
        Launch.Executor executor = new Launch.Executor(launcher, cwd, "berth-process-exec-" + id);
        CappedOutput out = new CappedOutput(EXEC_OUTPUT_CAP);
        org.apache.commons.exec.PumpStreamHandler streams = new org.apache.commons.exec.PumpStreamHandler(out, out);
        streams.setStopTimeout(Duration.ofSeconds(2));
        executor.setStreamHandler(streams);
        Launch.TreeWatchdog watchdog = new Launch.TreeWatchdog(Math.max(1, timeout.toMillis()));
        executor.setWatchdog(watchdog);
        LOG.info("app '{}' instance '{}': exec {}", file.app(), id, argv.get(0));
        LOG.debug("app '{}' instance '{}': exec argv {}", file.app(), id, argv);
        int code;
        try {
            code = executor.execute(Launch.commandLine(command), file.env());
        } catch (IOException e) {
            throw new BackendException("app '" + file.app() + "' instance '" + id + "': cannot exec " + argv
                    + ": " + e.getMessage(), e);
        }
        String output = out.text();
        if (watchdog.timedOut()) {
            output += (output.isEmpty() || output.endsWith("\n") ? "" : "\n") + "[berth: killed after the timeout of "
                    + timeout + "]\n";
        }
        return new ExecResult(code, output);
    }
}
