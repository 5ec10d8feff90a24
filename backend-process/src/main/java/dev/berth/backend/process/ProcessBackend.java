// The process backend's public face: its builder and start, stop and kill of instances, with the package's parts.
package dev.berth.backend.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.AppSpec;
import dev.berth.spi.Backend;
import dev.berth.api.BackendException;
import dev.berth.spi.InstanceConsole;
import dev.berth.spi.LaunchRequest;
import dev.berth.spi.RunningInstance;
import dev.berth.api.Source;
import dev.berth.support.ArgvExpansion;
import dev.berth.support.IdLocks;

/**
 * A {@link Backend} that runs instances as local OS processes, built with {@link #builder()}.
 *
 * <p>Files live under the base directory: {@code <base>/<node>/<app>/releases/<release>/} holds a
 * release (a copy of a directory source, owned by the platform's user; the setup's
 * {@code setup.log}), and {@code <base>/<node>/<app>/instances/<id>/} holds an instance's
 * {@code instance.properties} (pid, start time, env; how {@link #list()} finds it again),
 * {@code output.log} and the {@code pid} and {@code exit} files of its wrapper. The record but its
 * pids ({@code instance.launching.properties}) is written before each launch, so that a process
 * whose launcher died before recording it is still found, recorded and listed.
 *
 * <p>Instances are launched through {@code setsid -f} and a small sh wrapper ({@link Wrapper}):
 * they are not children of this JVM, run in a session of their own with stdin from /dev/null and
 * stdout/stderr appended to {@code output.log}, and outlive the backend object and the JVM, even a
 * {@code kill -9} of it. The wrapper records each exit status in the instance directory; one
 * thread watches those files for all instances ({@link ExitWatcher}), and a 1 s check is the
 * safety net. No thread is held per instance. When the platform runs as root with usable cgroups,
 * each instance gets one of its own ({@link Cgroups}) with its memory, cpu and pids limits, which
 * stop and kill empty entirely. Output logs are rotated (copy-truncate, each file capped at
 * {@code logMaxBytes}) by the background thread while a backend object that knows the instance is open.
 *
 * <p>Thread-safe: operations on one instance id are serialized, on different ids run in parallel.
 */
public final class ProcessBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessBackend.class);
    /** The directory an app without code that runs as another user may write, inside its instance directory. */
    static final String USER_WORK = UserDirs.WORK;
    private static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(30);

    private final Path baseDir;
    private final String host;
    private final int portFrom;
    private final int portTo;
    private final Releases releases;
    private final Ports ports;
    private final Cgroups cgroups;
    private final IdLocks locks = new IdLocks();
    private final TrackedInstances instances;
    private final InstanceScanner scanner;
    private final ProcessConsole console;
    /** Runs between an instance's launch and its record; tests make it throw to stand for a kill -9 of the JVM there. */
    volatile Consumer<String> afterLaunch = id -> { };

    private ProcessBackend(Builder b) {
        this.baseDir = b.baseDir;
        this.host = b.host;
        this.portFrom = b.portFrom;
        this.portTo = b.portTo;
        this.releases = new Releases(b.setupTimeout, b.logMaxBytes);
        this.cgroups = b.cgroups ? Cgroups.detect(String.format("%08x", baseDir.toString().hashCode()))
                : Cgroups.none();
        this.instances = new TrackedInstances(locks, b.logMaxBytes, b.logFiles);
        this.scanner = new InstanceScanner(baseDir, locks, instances);
        this.ports = new Ports(host, portFrom, portTo, scanner::liveFiles);
        this.console = new ProcessConsole(scanner, this::ensureOpen, b.logFiles);
        LOG.debug("process backend on {}: cgroups {}", baseDir, cgroups.describe());
    }

    /** A builder with the defaults: host 127.0.0.1, ports 8000-9000, 10 MiB x 5 log files, 10 min setup timeout. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "process";
    }

    // ---------------------------------------------------------------- start

    @Override
    public RunningInstance start(LaunchRequest request) {
        Objects.requireNonNull(request, "request");
        ensureOpen();
        String id = checked("instance id", request.instanceId());
        AppSpec spec = request.app();
        String app = checked("app name", spec.name());
        String node = checked("node id", request.node());
        String release = checked("release", request.release());
        IdLocks.Held lock = locks.lock(id);
        try {
            Optional<TrackedProcess> running = scanner.findRunning(id);
            if (running.isPresent()) {
                LOG.debug("{} already runs: start is a no-op", running.get());
                return running.get().running();
            }
            Path appDir = baseDir.resolve(node).resolve(app);
            Path releaseDir = appDir.resolve("releases").resolve(release);
            Path instanceDir = appDir.resolve("instances").resolve(id);
            Source source = spec.source();
            String what = "app '" + app + "' instance '" + id + "'";
            Optional<RunAs> runAs = RunAs.resolve(spec.user(), what);
            if (!(source instanceof Source.None) && !(source instanceof Source.Directory)) {
                throw new BackendException(what + ": the process backend cannot run a "
                        + (source instanceof Source.Git ? "git" : "container image") + " source yet ("
                        + source + "); use a directory source or none");
            }
            if (spec.command().isEmpty()) {
                throw new BackendException(what + ": no command to run: the process "
                        + "backend needs a command (only an image or a Dockerfile on the Docker backend brings its own)");
            }
            try {
                Files.createDirectories(instanceDir);
                Files.deleteIfExists(instanceDir.resolve(TrackedInstances.STOP_MARKER));
            } catch (IOException e) {
                throw new BackendException(what + ": cannot create " + instanceDir + ": " + e, e);
            }
            releases.prepare(releaseDir, app, release, node, source, spec.setup(), Ports.setupEnv(spec, node, release));
            Path home = source instanceof Source.None ? UserDirs.noCodeHome(instanceDir, what) : releaseDir;
            Path workDir = UserDirs.workDir(spec, home, instanceDir, release, runAs, what);
            Map<String, String> env = ports.instanceEnv(spec, id, node, release);
            return launch(id, node, app, release, spec, instanceDir, workDir, env, runAs, what).running();
        } finally {
            lock.close();
        }
    }

    private TrackedProcess launch(String id, String node, String app, String release, AppSpec spec, Path instanceDir,
                           Path workDir, Map<String, String> env, Optional<RunAs> runAs, String what) {
        List<String> command = ArgvExpansion.command(spec, env, what);   // ${NAME} from the env, no shell
        Optional<InstanceCgroup> cgroup = cgroups.create(id, spec.resources(), what);
        String portValue = env.get(AppSpec.PORT);
        Integer port = portValue == null ? null : Integer.valueOf(portValue);
        // The record but its pids, written BEFORE the process exists: should this JVM die between the
        // launch and instance.properties (kill -9 of the platform), the next backend completes the
        // record from it and the wrapper's pid file, so the process is listed, never left running unowned.
        InstanceFile intent = InstanceFile.intent(id, node, app, release, Instant.now(), host, port, workDir, env, runAs,
                cgroup);
        InstanceLauncher.Launched l;
        try {
            intent.write(instanceDir.resolve(InstanceFile.LAUNCHING));
            l = InstanceLauncher.launch(what, id, instanceDir, workDir, runAs, cgroup, command, env, LAUNCH_TIMEOUT);
        } catch (IOException | BackendException e) {
            cgroup.ifPresent(c -> {
                c.killAll(System.nanoTime() + Terminator.KILL_WAIT.toNanos());
                c.remove();
            });
            if (e instanceof IOException) {
                throw new BackendException(what + ": cannot write its launch record in " + instanceDir + ": " + e, e);
            }
            throw (BackendException) e;
        }
        afterLaunch.accept(id);
        Instant startedAt = ProcessHandle.of(l.pid()).flatMap(h -> h.info().startInstant()).orElseGet(Instant::now);
        InstanceFile file = intent.launched(l, startedAt);
        TrackedProcess t = new TrackedProcess(file, instanceDir);
        try {
            file.write(instanceDir.resolve(InstanceFile.NAME));
        } catch (IOException e) {
            Terminator.kill(t);
            Terminator.cleanUp(file, what);
            throw new BackendException(what + ": cannot write its pid file in " + instanceDir
                    + " (the process was killed): " + e, e);
        }
        InterruptedLaunch.deleteIntent(instanceDir);
        instances.launched(t);
        LOG.info("app '{}' instance '{}' release '{}' started: pid {}, {}, in {}{}", app, id, release, l.pid(),
                port == null ? "no port" : "port " + port, workDir, cgroup.isPresent() ? ", own cgroup" : "");
        return t;
    }

    // ---------------------------------------------------------------- stop, kill

    @Override
    public void stop(String instanceId, Duration grace) {
        String id = checked("instance id", instanceId);
        Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace " + grace + " is not allowed: must not be negative");
        }
        IdLocks.Held lock = locks.lock(id);
        try {
            Optional<TrackedProcess> found = scanner.findRunning(id);
            if (found.isEmpty()) {
                LOG.debug("instance '{}' does not run: stop is a no-op", id);
                return;
            }
            TrackedProcess t = found.get();
            TrackedInstances.stopRequested(t);
            Terminator.stop(t, grace);
            instances.stopped(t);
            Terminator.cleanUp(t.file, t.toString()); // what it spawned during the grace period, its cgroup
            LOG.info("{} stopped", t);
        } finally {
            lock.close();
        }
    }

    @Override
    public void kill(String instanceId) {
        String id = checked("instance id", instanceId);
        IdLocks.Held lock = locks.lock(id);
        try {
            Optional<TrackedProcess> found = scanner.findRunning(id);
            if (found.isEmpty()) {
                LOG.debug("instance '{}' does not run: kill is a no-op", id);
                return;
            }
            TrackedProcess t = found.get();
            t.killRequested = true;
            Terminator.kill(t);
        } finally {
            lock.close();
        }
        // its exit is recorded by its wrapper and reported like a crash
    }

    @Override
    public void onExit(ExitListener listener) {
        instances.onExit(listener);
    }

    // ---------------------------------------------------------------- list, adopt

    @Override
    public List<RunningInstance> list() {
        ensureOpen();
        return scanner.list();
    }

    // ---------------------------------------------------------------- the rest

    /** Setup output is reported once the setup ends (it is written to {@code setup.log}, not piped), bounded. */
    @Override
    public void onBuildOutput(BuildListener listener) {
        releases.onBuildOutput(listener);
    }

    @Override
    public InstanceConsole console() {
        return console;
    }

    /** Stops the background threads and followers; the instances keep running. Idempotent. */
    @Override
    public void close() {
        if (instances.isClosed()) {
            return;
        }
        instances.close();
        console.closeFollowers();
        LOG.info("process backend on {} closed; {} instance(s) keep running", baseDir, instances.size());
    }

    private void ensureOpen() {
        if (instances.isClosed()) {
            throw new IllegalStateException("the process backend on " + baseDir + " is closed");
        }
    }

    private static String checked(String field, String value) {
        return Names.segment(field, value);
    }

    Path baseDir() {
        return baseDir;
    }

    @Override
    public String toString() {
        return "ProcessBackend[" + baseDir + ", " + host + ":" + portFrom + "-" + portTo + "]";
    }

    // ---------------------------------------------------------------- builder

    /**
     * Builds a {@link ProcessBackend}. Each setter checks its value at once and throws an
     * {@link IllegalArgumentException} naming the option, the value and what is allowed. Not
     * thread-safe; {@link #build()} returns an independent backend.
     */
    public static final class Builder {
        private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:_\\[\\]-]{1,253}");
        private Path baseDir;
        private String host = "127.0.0.1";
        private int portFrom = 8000;
        private int portTo = 9000;
        private long logMaxBytes = 10L << 20;
        private int logFiles = 5;
        private Duration setupTimeout = Duration.ofMinutes(10);
        private boolean cgroups = true;

        private Builder() {
        }

        /** The directory holding releases, instance directories and pid files (required; created if missing). */
        public Builder baseDir(Path baseDir) {
            if (baseDir == null) {
                throw new IllegalArgumentException("baseDir null is not allowed: must be a directory path");
            }
            this.baseDir = baseDir.toAbsolutePath().normalize();
            return this;
        }

        /** The address instances listen on, where free ports are probed and endpoints point (default 127.0.0.1). */
        public Builder host(String host) {
            if (host == null || !HOST.matcher(host).matches()) {
                throw new IllegalArgumentException("host '" + Names.printable(host) + "' is not allowed: must be an IP "
                        + "address or host name (A-Z a-z 0-9 . : _ [ ] -)");
            }
            this.host = host;
            return this;
        }

        /** The inclusive range RANDOM_PORT values are drawn from (default 8000-9000). */
        public Builder portRange(int from, int to) {
            if (from < 1 || to > 65535 || from > to) {
                throw new IllegalArgumentException("portRange " + from + "-" + to + " is not allowed: must satisfy "
                        + "1 <= from <= to <= 65535");
            }
            this.portFrom = from;
            this.portTo = to;
            return this;
        }

        /** The size above which output.log is rotated (default 10 MiB; at least 1024). */
        public Builder logMaxBytes(long logMaxBytes) {
            if (logMaxBytes < 1024) {
                throw new IllegalArgumentException("logMaxBytes " + logMaxBytes + " is not allowed: must be at least 1024");
            }
            this.logMaxBytes = logMaxBytes;
            return this;
        }

        /** How many output files to keep per instance, counting output.log itself (default 5; 1-100). */
        public Builder logFiles(int logFiles) {
            if (logFiles < 1 || logFiles > 100) {
                throw new IllegalArgumentException("logFiles " + logFiles + " is not allowed: must be 1-100");
            }
            this.logFiles = logFiles;
            return this;
        }

        /** How long an app's setup may run before it is killed and the start fails (default 10 min). */
        public Builder setupTimeout(Duration setupTimeout) {
            if (setupTimeout == null || setupTimeout.isNegative() || setupTimeout.isZero()) {
                throw new IllegalArgumentException("setupTimeout " + setupTimeout + " is not allowed: must be positive");
            }
            this.setupTimeout = setupTimeout;
            return this;
        }

        /**
         * Whether each instance gets a cgroup of its own with its limits when the platform runs as
         * root with usable cgroups (default true; when they are not usable, one WARN says so).
         */
        public Builder cgroups(boolean cgroups) {
            this.cgroups = cgroups;
            return this;
        }

        /** A backend with these settings; creates the base directory. */
        public ProcessBackend build() {
            if (baseDir == null) {
                throw new IllegalArgumentException("baseDir is not set: it is required");
            }
            try {
                Files.createDirectories(baseDir);
            } catch (IOException e) {
                throw new IllegalArgumentException("baseDir '" + baseDir + "' is not allowed: cannot create it: " + e, e);
            }
            return new ProcessBackend(this);
        }
    }
}
