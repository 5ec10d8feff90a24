package dev.berth.backend.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.AppSpec;
import dev.berth.api.Backend;
import dev.berth.api.BackendException;
import dev.berth.api.ExitInfo;
import dev.berth.api.InstanceConsole;
import dev.berth.api.LaunchRequest;
import dev.berth.api.RunningInstance;
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
    private static final String STOP_MARKER = "stop-requested";
    private static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(30);
    private static final long RETRY_MILLIS = 20;

    private final Path baseDir;
    private final String host;
    private final int portFrom;
    private final int portTo;
    private final long logMaxBytes;
    private final int logFiles;
    private final Releases releases;
    private final Ports ports;
    private final Cgroups cgroups;
    private final ScheduledExecutorService ticker;
    private final ExitWatcher watcher;
    private final Map<String, TrackedProcess> tracked = new ConcurrentHashMap<>();
    private final IdLocks locks = new IdLocks();
    private final Set<LogFiles.Follower> followers = ConcurrentHashMap.newKeySet();
    private final ProcessConsole console;
    private volatile ExitListener listener = (id, handle, exit) -> { };
    private volatile boolean closed;
    /** Runs between an instance's launch and its record; tests make it throw to stand for a kill -9 of the JVM there. */
    volatile Consumer<String> afterLaunch = id -> { };

    private ProcessBackend(Builder b) {
        this.baseDir = b.baseDir;
        this.host = b.host;
        this.portFrom = b.portFrom;
        this.portTo = b.portTo;
        this.logMaxBytes = b.logMaxBytes;
        this.releases = new Releases(b.setupTimeout, b.logMaxBytes);
        this.ports = new Ports(host, portFrom, portTo, this::liveFiles);
        this.console = new ProcessConsole(this, b.logFiles);
        this.logFiles = b.logFiles;
        this.cgroups = b.cgroups ? Cgroups.detect(String.format("%08x", baseDir.toString().hashCode()))
                : Cgroups.none();
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "berth-process-ticker");
            t.setDaemon(true);
            return t;
        });
        this.watcher = new ExitWatcher("berth-process-exits", this::exitSeen);
        ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
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
            Optional<TrackedProcess> running = findRunning(id);
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
                Files.deleteIfExists(instanceDir.resolve(STOP_MARKER));
            } catch (IOException e) {
                throw new BackendException(what + ": cannot create " + instanceDir + ": " + e, e);
            }
            releases.prepare(releaseDir, app, release, node, source, spec.setup(), Ports.setupEnv(spec, node, release));
            Path workDir = workDir(spec, source instanceof Source.None ? noCodeHome(instanceDir, what) : releaseDir,
                    instanceDir, release, runAs, what);
            Map<String, String> env = ports.instanceEnv(spec, id, node, release);
            return launch(id, node, app, release, spec, instanceDir, workDir, env, runAs, what).running();
        } finally {
            lock.close();
        }
    }

    /**
     * Where an app without code runs: {@code <instance>/work}, never the instance directory itself,
     * which holds Berth's files ({@code instance.properties} with the resolved env, the output log):
     * an app serving its working directory (say {@code python3 -m http.server}) must not serve them.
     * A {@code work} that is not a plain directory (a link) is refused.
     */
    private static Path noCodeHome(Path instanceDir, String what) {
        Path work = instanceDir.resolve(UserDirs.WORK);
        try {
            Files.createDirectory(work);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            if (!Files.isDirectory(work, LinkOption.NOFOLLOW_LINKS)) {
                throw new BackendException(what + ": " + work + " is not a directory (a link or a file): refusing to use it");
            }
        } catch (IOException e) {
            throw new BackendException(what + ": cannot create " + work + ": " + e, e);
        }
        return work;
    }

    /**
     * The instance's working directory: {@code work/} of its instance directory (no code) or its release, and
     * {@code workingDir} below. Another user without code gets {@code work/} of its own, made by
     * {@link UserDirs} so that the platform follows no link the app placed.
     */
    private static Path workDir(AppSpec spec, Path home, Path instanceDir, String release, Optional<RunAs> runAs,
                                String what) {
        boolean noCode = home.equals(instanceDir.resolve(UserDirs.WORK));
        if (runAs.isPresent() && noCode) {
            return UserDirs.prepare(instanceDir, spec.workingDir(), runAs.get(), what);
        }
        if (spec.workingDir().isEmpty()) {
            return home;
        }
        // AppSpec allows only a relative path without '..' here: it stays inside.
        Path dir = home.resolve(spec.workingDir()).normalize();
        if (noCode) {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new BackendException(what + ": cannot create " + dir + ": " + e, e);
            }
        } else if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new BackendException(what + ": workingDir '" + spec.workingDir() + "' is not a directory of release '"
                    + release + "' (" + dir + ")");
        }
        return dir;
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
        TrackedProcess old = tracked.put(id, t);
        if (old != null) {
            old.finished.set(true);
            watcher.unwatch(old);
        }
        watcher.watch(t);
        if (Files.exists(instanceDir.resolve(Wrapper.EXIT))) {
            later(() -> exitSeen(t), 0); // it ended before the watch began
        }
        LOG.info("app '{}' instance '{}' release '{}' started: pid {}, {}, in {}{}", app, id, release, l.pid(),
                port == null ? "no port" : "port " + port, workDir, cgroup.isPresent() ? ", own cgroup" : "");
        return t;
    }

    /** The instance files of what runs under the base dir (tracked or found), for port allocation. */
    private List<InstanceFile> liveFiles() {
        List<InstanceFile> files = new ArrayList<>();
        for (TrackedProcess t : tracked.values()) {
            files.add(t.file);
        }
        for (InstanceDirs.Found f : InstanceDirs.scan(baseDir, null)) {
            if (Procs.find(f.file().pid(), f.file().startedAt(), f.file().startTicks()).isPresent()) {
                files.add(f.file());
            }
        }
        return files;
    }

    // ---------------------------------------------------------------- exits

    /** The exit file of {@code t} appeared (or may have): report the recorded status. Never blocks. */
    private void exitSeen(TrackedProcess t) {
        if (t.finished.get() || t.stopRequested) {
            return; // a stop deals with it
        }
        Optional<Integer> code = InstanceLauncher.readExit(t.dir.resolve(Wrapper.EXIT));
        if (code.isEmpty()) {
            return;
        }
        int c = code.get();
        finish(t, c, t.killRequested ? "killed by Berth with SIGKILL (" + Procs.describe(c) + ")" : Procs.describe(c));
    }

    /** Runs {@code task} on the ticker after {@code millis}, unless the backend is closed. */
    private void later(Runnable task, long millis) {
        try {
            ticker.schedule(task, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("backend closed: {} not run", task);
        }
    }

    /**
     * Retires a gone instance and reports its exit unless a stop asked for it. Never blocks on the
     * instance's lock: while a start, stop or kill holds it, it tries again a little later.
     */
    private void finish(TrackedProcess t, int code, String reason) {
        IdLocks.Held lock = locks.tryLock(t.id());
        if (lock == null) {
            later(() -> finish(t, code, reason), RETRY_MILLIS);
            return;
        }
        boolean expected;
        try {
            if (!t.finished.compareAndSet(false, true)) {
                return;
            }
            tracked.remove(t.id(), t);
            watcher.unwatch(t);
            retire(t.dir, t.file.pid());
            expected = t.stopRequested || stopMarked(t);
        } finally {
            lock.close();
        }
        if (expected) {
            LOG.info("{} stopped: {}", t, reason);
        } else if (closed) {
            LOG.info("{} {} (not reported: the backend is closed)", t, reason);
        } else {
            LOG.warn("{} {}", t, reason);
        }
        boolean report = !expected && !closed;
        Instant at = Instant.now();
        // What it left is reaped and its cgroup removed BEFORE the exit is reported: the platform may
        // start the same id again at once, and that start must neither meet nor lose its cgroup.
        later(() -> {
            Terminator.cleanUp(t.file, t.toString());
            if (report) {
                try {
                    listener.exited(t.id(), Long.toString(t.file.pid()), new ExitInfo(code, at, reason));
                } catch (RuntimeException e) {
                    LOG.warn("exit listener failed for {}: {}", t, e.toString(), e);
                }
            }
        }, 0);
    }

    private static boolean stopMarked(TrackedProcess t) {
        try {
            Path marker = t.dir.resolve(STOP_MARKER);
            return Files.exists(marker)
                    && Files.readString(marker, StandardCharsets.UTF_8).trim().equals(Long.toString(t.file.pid()));
        } catch (IOException e) {
            return false;
        }
    }

    /** Renames the pid file to the exited name if it still describes that pid. */
    private static void retire(Path dir, long pid) {
        Path file = dir.resolve(InstanceFile.NAME);
        try {
            if (Files.exists(file) && InstanceFile.read(file).pid() == pid) {
                Files.move(file, dir.resolve(InstanceFile.EXITED), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            LOG.debug("pid file {} was already retired (another backend on the same base dir)", file);
        } catch (IOException e) {
            LOG.warn("cannot retire pid file {}: {}", file, e.toString());
        }
    }

    @Override
    public void onExit(ExitListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
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
            Optional<TrackedProcess> found = findRunning(id);
            if (found.isEmpty()) {
                LOG.debug("instance '{}' does not run: stop is a no-op", id);
                return;
            }
            TrackedProcess t = found.get();
            t.stopRequested = true;
            try {
                InstanceFile.writeAtomically(t.dir.resolve(STOP_MARKER),
                        (t.file.pid() + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                LOG.warn("{}: cannot write the stop marker: {}", t, e.toString());
            }
            Terminator.stop(t, grace);
            if (t.finished.compareAndSet(false, true)) {
                tracked.remove(id, t);
                watcher.unwatch(t);
                retire(t.dir, t.file.pid());
            }
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
            Optional<TrackedProcess> found = findRunning(id);
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

    // ---------------------------------------------------------------- list, adopt

    @Override
    public List<RunningInstance> list() {
        ensureOpen();
        completeInterruptedLaunches(null);
        List<RunningInstance> result = new ArrayList<>();
        for (InstanceDirs.Found f : InstanceDirs.scan(baseDir, null)) {
            String id = f.file().instanceId();
            boolean alive = Procs.find(f.file().pid(), f.file().startedAt(), f.file().startTicks()).isPresent();
            IdLocks.Held lock = locks.tryLock(id);
            boolean locked = lock != null;
            try {
                if (alive) {
                    TrackedProcess t = locked ? adopt(f) : new TrackedProcess(f.file(), f.dir());
                    result.add(t.running());
                } else if (locked) {
                    TrackedProcess t = tracked.get(id);
                    if (t == null || t.file.pid() != f.file().pid()) {
                        LOG.info("app '{}' instance '{}': pid {} is gone, retiring its pid file", f.file().app(), id,
                                f.file().pid());
                        retire(f.dir(), f.file().pid());
                        Terminator.cleanUp(f.file(), "app '" + f.file().app() + "' instance '" + id + "'");
                    }
                }
            } finally {
                if (locked) {
                    lock.close();
                }
            }
        }
        return result;
    }

    /** The tracked instance with that id if it runs, adopting it from its pid file if needed. */
    Optional<TrackedProcess> findRunning(String id) {
        TrackedProcess t = tracked.get(id);
        if (t != null && !t.finished.get() && t.alive()) {
            return Optional.of(t);
        }
        completeInterruptedLaunches(id);
        for (InstanceDirs.Found f : InstanceDirs.scan(baseDir, id)) {
            if (Procs.find(f.file().pid(), f.file().startedAt(), f.file().startTicks()).isPresent()) {
                return Optional.of(adopt(f));
            }
        }
        return Optional.empty();
    }

    /** {@link InterruptedLaunch#complete} where a launch intent lies, of one id when not null, skipping ids locked elsewhere. */
    private void completeInterruptedLaunches(String onlyId) {
        for (Path dir : InstanceDirs.dirs(baseDir, onlyId)) {
            if (!Files.exists(dir.resolve(InstanceFile.LAUNCHING), LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            IdLocks.Held lock = locks.tryLock(dir.getFileName().toString());
            if (lock != null) { // re-entered by start, stop and kill; held elsewhere: a launch of that id is under way
                try {
                    InterruptedLaunch.complete(dir);
                } finally {
                    lock.close();
                }
            }
        }
    }

    /** Tracks a live process found from its pid file and watches its exit file, unless already tracked. */
    private TrackedProcess adopt(InstanceDirs.Found f) {
        boolean[] created = new boolean[1];
        TrackedProcess t = tracked.compute(f.file().instanceId(), (k, old) -> {
            if (old != null && !old.finished.get() && old.file.pid() == f.file().pid()) {
                return old;
            }
            created[0] = true;
            return new TrackedProcess(f.file(), f.dir());
        });
        if (created[0]) {
            LOG.info("adopted {} from {}", t, f.dir());
            watcher.watch(t);
            if (Files.exists(f.dir().resolve(Wrapper.EXIT))) {
                later(() -> exitSeen(t), 0);
            }
        }
        return t;
    }

    // ---------------------------------------------------------------- background

    /**
     * Every second: rotate output logs, and the safety net for exits: an exit file the watch
     * missed, a wrapper that was itself killed, an instance from before wrappers.
     */
    private void tick() {
        for (TrackedProcess t : tracked.values()) {
            try {
                if (LogFiles.rotateIfNeeded(t.dir.resolve(LogFiles.OUTPUT), logMaxBytes, logFiles)) {
                    LOG.debug("rotated the output of {}", t);
                }
                if (t.finished.get()) {
                    continue;
                }
                Optional<Integer> code = InstanceLauncher.readExit(t.dir.resolve(Wrapper.EXIT));
                if (code.isPresent()) {
                    finish(t, code.get(), Procs.describe(code.get()));
                } else if (!t.alive() && !t.wrapperAlive()) {
                    finish(t, ExitInfo.UNKNOWN, t.killRequested ? "killed by Berth with SIGKILL"
                            : t.file.wrapperPid() > 0 ? "exited (status unknown: its wrapper, which records it, was killed)"
                            : "exited (status unknown: it was started before exit statuses were recorded)");
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("background work on {} failed: {}", t, e.toString());
            }
        }
    }

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
        if (closed) {
            return;
        }
        closed = true;
        ticker.shutdownNow();
        watcher.close();
        for (LogFiles.Follower f : followers) {
            f.close();
        }
        followers.clear();
        LOG.info("process backend on {} closed; {} instance(s) keep running", baseDir, tracked.size());
    }

    private void ensureOpen() {
        if (closed) {
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

    // ---------------------------------------------------------------- for the console

    /** The instance's directory (live or exited), or a BackendException naming the id. */
    Path instanceDir(String id) {
        TrackedProcess t = tracked.get(id);
        if (t != null) {
            return t.dir;
        }
        for (Path dir : InstanceDirs.dirs(baseDir, id)) {
            if (Files.exists(dir.resolve(InstanceFile.NAME)) || Files.exists(dir.resolve(InstanceFile.EXITED))) {
                return dir;
            }
        }
        throw new BackendException("unknown instance '" + id + "': no instance directory under " + baseDir);
    }

    InstanceFile instanceFile(String id) {
        TrackedProcess t = tracked.get(id);
        if (t != null) {
            return t.file;
        }
        Path dir = instanceDir(id);
        Path live = dir.resolve(InstanceFile.NAME);
        Path file = Files.exists(live) ? live : dir.resolve(InstanceFile.EXITED);
        try {
            return InstanceFile.read(file);
        } catch (IOException e) {
            throw new BackendException("instance '" + id + "': cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Follows the instance's output until the returned handle is closed. */
    AutoCloseable follow(String id, Consumer<String> consumer) {
        ensureOpen();
        Path dir = instanceDir(id);
        LogFiles.Follower follower = new LogFiles.Follower(dir.resolve(LogFiles.OUTPUT), consumer, id);
        followers.add(follower);
        return () -> {
            followers.remove(follower);
            follower.close();
        };
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
