package dev.berth.backend.process;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.ExecuteResultHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.AppSpec;
import dev.berth.api.Backend;
import dev.berth.api.BackendException;
import dev.berth.api.ExitInfo;
import dev.berth.api.InstanceConsole;
import dev.berth.api.LaunchRequest;
import dev.berth.api.NotFoundException;
import dev.berth.api.RunningInstance;
import dev.berth.api.Source;

/**
 * A {@link Backend} that runs instances as local OS processes, built with {@link #builder()}.
 *
 * <p>Files live under the base directory: {@code <base>/<node>/<app>/releases/<release>/} holds a
 * release (a copy of a directory source, the setup's {@code setup.log}), and
 * {@code <base>/<node>/<app>/instances/<id>/} holds an instance's {@code instance.properties}
 * (pid, start time, env; how {@link #list()} finds it again) and {@code output.log}.
 *
 * <p>Instances are started through Commons Exec with their stdout and stderr appended to
 * {@code output.log} and no pipe to this JVM, in their own session ({@code setsid}), and no
 * shutdown hook: they outlive the backend object and the JVM, even a {@code kill -9} of it. A new
 * backend on the same base directory adopts them through {@link #list()}. Output logs are
 * rotated (copy-truncate, capped at {@code logMaxBytes} times {@code logFiles}) by a background
 * thread, only while a backend object that knows the instance (started or listed it) is open.
 *
 * <p>Thread-safe: operations on one instance id are serialized, on different ids run in parallel.
 */
public final class ProcessBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessBackend.class);
    /** The directory an app without code that runs as another user may write, inside its instance directory. */
    static final String USER_WORK = "work";
    private static final List<String> INHERITED_ENV = List.of("PATH", "HOME", "LANG", "TZ", "JAVA_HOME");
    private static final String STOP_MARKER = "stop-requested";
    private static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);
    private static final long RECENT_PORT_MILLIS = 60_000;

    private final Path baseDir;
    private final String host;
    private final int portFrom;
    private final int portTo;
    private final long logMaxBytes;
    private final int logFiles;
    private final Releases releases;
    private final ScheduledExecutorService ticker;
    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Set<LogFiles.Follower> followers = ConcurrentHashMap.newKeySet();
    private final Console console = new Console();
    private final Object portLock = new Object();
    /** Ports handed out recently, by port, to when; guarded by portLock. */
    private final Map<Integer, Long> recentPorts = new HashMap<>();
    /** Where the next port search starts, as an offset into the range; guarded by portLock. */
    private int portCursor;
    private volatile ExitListener listener = (id, handle, exit) -> { };
    private volatile boolean closed;

    private ProcessBackend(Builder b) {
        this.baseDir = b.baseDir;
        this.host = b.host;
        this.portFrom = b.portFrom;
        this.portTo = b.portTo;
        this.logMaxBytes = b.logMaxBytes;
        this.logFiles = b.logFiles;
        this.releases = new Releases(b.setupTimeout);
        this.portCursor = ThreadLocalRandom.current().nextInt(portTo - portFrom + 1);
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "berth-process-ticker");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
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
        ReentrantLock lock = lock(id);
        lock.lock();
        try {
            Optional<Tracked> running = findRunning(id);
            if (running.isPresent()) {
                LOG.debug("{} already runs: start is a no-op", running.get());
                return running.get().running();
            }
            Path appDir = baseDir.resolve(node).resolve(app);
            Path releaseDir = appDir.resolve("releases").resolve(release);
            Path instanceDir = appDir.resolve("instances").resolve(id);
            Path workDir;
            Source source = spec.source();
            String what = "app '" + app + "' instance '" + id + "'";
            Optional<RunAs> runAs = RunAs.resolve(spec.user(), what);
            if (source instanceof Source.None) {
                workDir = instanceDir;
            } else if (source instanceof Source.Directory) {
                workDir = releaseDir;
            } else {
                throw new BackendException("app '" + app + "' instance '" + id + "': the process backend cannot run a "
                        + (source instanceof Source.Git ? "git" : "container image") + " source yet ("
                        + source + "); use a directory source or none");
            }
            if (spec.command().isEmpty()) {
                throw new BackendException("app '" + app + "' instance '" + id + "': no command to run: the process "
                        + "backend needs a command (only an image or a Dockerfile on the Docker backend brings its own)");
            }
            try {
                Files.createDirectories(instanceDir);
                Files.deleteIfExists(instanceDir.resolve(STOP_MARKER));
            } catch (IOException e) {
                throw new BackendException("app '" + app + "' instance '" + id + "': cannot create " + instanceDir
                        + ": " + e, e);
            }
            releases.prepare(releaseDir, app, release, node, source, spec.setup(), setupEnv(spec, node, release));
            if (runAs.isPresent() && source instanceof Source.None) {
                // Another user gets a directory of its own inside the instance's, never the instance
                // directory itself: that holds the pid file and the output log, which this (root)
                // platform trusts and opens; the user must not be able to replace them.
                workDir = instanceDir.resolve(USER_WORK);
                createDirectories(workDir, what);
                chown(workDir, runAs.get(), what);
            }
            if (!spec.workingDir().isEmpty()) {
                // AppSpec allows only a relative path without '..' here: it stays inside.
                Path inside = workDir;
                workDir = workDir.resolve(spec.workingDir()).normalize();
                if (source instanceof Source.None) {
                    createDirectories(workDir, what);
                    if (runAs.isPresent()) {
                        for (Path p = workDir; !p.equals(inside); p = p.getParent()) {
                            chown(p, runAs.get(), what);
                        }
                    }
                } else if (!Files.isDirectory(workDir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    throw new BackendException(what + ": workingDir '" + spec.workingDir() + "' is not a directory of release '"
                            + release + "' (" + workDir + ")");
                }
            }
            Map<String, String> env = instanceEnv(spec, id, node, release);
            return launch(id, node, app, release, spec, instanceDir, workDir, env, runAs).running();
        } finally {
            lock.unlock();
        }
    }

    private static void createDirectories(Path dir, String what) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new BackendException(what + ": cannot create " + dir + ": " + e, e);
        }
    }

    private static void chown(Path dir, RunAs runAs, String what) {
        try {
            Files.setAttribute(dir, "unix:uid", (int) runAs.uid());
            Files.setAttribute(dir, "unix:gid", (int) runAs.gid());
        } catch (IOException | RuntimeException e) {
            throw new BackendException(what + ": cannot give " + dir + " to user " + runAs + ": " + e, e);
        }
    }

    /** {@code command} run as {@code runAs} when set. */
    private static List<String> asUser(List<String> command, Optional<RunAs> runAs) {
        if (runAs.isEmpty()) {
            return command;
        }
        List<String> argv = new ArrayList<>(runAs.get().prefix());
        argv.addAll(command);
        return argv;
    }

    private Tracked launch(String id, String node, String app, String release, AppSpec spec, Path instanceDir,
                           Path workDir, Map<String, String> env, Optional<RunAs> runAs) {
        Path output = instanceDir.resolve(LogFiles.OUTPUT);
        List<String> argv = Launch.inNewSession(asUser(spec.command(), runAs));
        Launch.ExactLauncher launcher = new Launch.ExactLauncher(argv, output);
        Launch.Executor executor = new Launch.Executor(launcher, workDir, "berth-process-" + app + "-" + id);
        executor.setStreamHandler(new Launch.NoStreams());
        CompletableFuture<Tracked> launched = new CompletableFuture<>();
        try {
            executor.execute(Launch.commandLine(argv), env, new ExecuteResultHandler() {
                @Override
                public void onProcessComplete(int exitValue) {
                    launched.thenAccept(t -> exited(t, exitValue));
                }

                @Override
                public void onProcessFailed(ExecuteException e) {
                    if (launcher.process.isDone() && !launcher.process.isCompletedExceptionally()) {
                        launched.thenAccept(t -> exited(t, e.getExitValue()));
                    } else {
                        LOG.debug("app '{}' instance '{}' did not launch: {}", app, id, e.toString());
                    }
                }
            });
        } catch (IOException e) {
            throw new BackendException("app '" + app + "' instance '" + id + "': cannot launch " + spec.command()
                    + ": " + e.getMessage(), e);
        }
        Process process;
        try {
            process = launcher.process.get(LAUNCH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new BackendException("app '" + app + "' instance '" + id + "': cannot launch " + spec.command()
                    + " in " + workDir + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new BackendException("app '" + app + "' instance '" + id + "': launch did not happen within "
                    + LAUNCH_TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException("app '" + app + "' instance '" + id + "': interrupted while launching", e);
        }
        ProcessHandle handle = process.toHandle();
        long pid = process.pid();
        Instant startedAt = handle.info().startInstant().orElseGet(Instant::now);
        OptionalLong ticks = Procs.startTicks(pid);
        String portValue = env.get(AppSpec.PORT);
        Integer port = portValue == null ? null : Integer.valueOf(portValue);
        InstanceFile file = new InstanceFile(id, node, app, release, pid, startedAt, ticks, host, port, workDir, env, runAs);
        try {
            file.write(instanceDir.resolve(InstanceFile.NAME));
        } catch (IOException e) {
            Procs.signal(Procs.tree(handle), true);
            throw new BackendException("app '" + app + "' instance '" + id + "': cannot write its pid file in "
                    + instanceDir + " (the process was killed): " + e, e);
        }
        Tracked t = new Tracked(file, instanceDir, handle, true);
        Tracked old = tracked.put(id, t);
        if (old != null) {
            old.finished.set(true);
        }
        LOG.info("app '{}' instance '{}' release '{}' started: pid {}, {}, in {}", app, id, release, pid,
                port == null ? "no port" : "port " + port, workDir);
        launched.complete(t);
        return t;
    }

    private static Map<String, String> baseEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        for (String key : INHERITED_ENV) {
            String v = System.getenv(key);
            if (v != null) {
                env.put(key, v);
            }
        }
        return env;
    }

    private static Map<String, String> setupEnv(AppSpec spec, String node, String release) {
        Map<String, String> env = baseEnv();
        spec.env().forEach((k, v) -> {
            if (!AppSpec.RANDOM_PORT.equals(v)) {
                env.put(k, v);
            }
        });
        env.put("BERTH_APP", spec.name());
        env.put("BERTH_RELEASE", release);
        env.put("BERTH_NODE", node);
        return env;
    }

    private Map<String, String> instanceEnv(AppSpec spec, String id, String node, String release) {
        Map<String, String> env = baseEnv();
        Set<Integer> taken = new HashSet<>();
        for (Map.Entry<String, String> e : spec.env().entrySet()) {
            String value = e.getValue();
            if (AppSpec.RANDOM_PORT.equals(value)) {
                value = Integer.toString(allocatePort(taken, spec.name(), id));
            }
            env.put(e.getKey(), value);
        }
        env.put("BERTH_APP", spec.name());
        env.put("BERTH_INSTANCE_ID", id);
        env.put("BERTH_RELEASE", release);
        env.put("BERTH_NODE", node);
        return env;
    }

    /** A port in the range that binds on the host and that no live instance of this base dir uses. */
    private int allocatePort(Set<Integer> taken, String app, String id) {
        synchronized (portLock) {
            long now = System.currentTimeMillis();
            recentPorts.values().removeIf(at -> now - at > RECENT_PORT_MILLIS);
            Set<Integer> used = new HashSet<>(taken);
            used.addAll(recentPorts.keySet());
            for (Tracked t : tracked.values()) {
                for (String v : t.file.env().values()) {
                    addPort(used, v);
                }
            }
            for (Found f : scan()) {
                if (Procs.find(f.file.pid(), f.file.startedAt(), f.file.startTicks()).isPresent()) {
                    f.file.env().values().forEach(v -> addPort(used, v));
                }
            }
            int span = portTo - portFrom + 1;
            for (int i = 0; i < span; i++) {
                int port = portFrom + Math.floorMod(portCursor + i, span);
                if (used.contains(port) || !bindable(port)) {
                    continue;
                }
                portCursor = port - portFrom + 1;
                recentPorts.put(port, now);
                taken.add(port);
                return port;
            }
            throw new BackendException("app '" + app + "' instance '" + id + "': no free port in " + portFrom + "-"
                    + portTo + " on " + host);
        }
    }

    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,5}");

    private static void addPort(Set<Integer> used, String value) {
        if (value != null && DIGITS.matcher(value).matches()) {
            used.add(Integer.valueOf(value));
        }
    }

    private boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- exits

    /** A child's exit, from Commons Exec, with its real status. */
    private void exited(Tracked t, int code) {
        String reason = t.killRequested ? "killed by Berth with SIGKILL (" + Procs.describe(code) + ")"
                : Procs.describe(code);
        finish(t, code, reason);
    }

    /** An adopted process's exit, seen through ProcessHandle.onExit() or the ticker; its status is unknown. */
    private void adoptedExited(Tracked t) {
        String reason = t.killRequested ? "killed by Berth with SIGKILL"
                : "exited (status unknown: the process was adopted, not started by this JVM)";
        finish(t, ExitInfo.UNKNOWN, reason);
    }

    /** The instance's process, its descendants and what else remains in its session. */
    private static Map<Long, ProcessHandle> processesOf(Tracked t) {
        Map<Long, ProcessHandle> procs = Procs.treeMap(t.handle);
        for (ProcessHandle h : Procs.session(t.file.pid(), t.file.startTicks())) {
            procs.putIfAbsent(h.pid(), h);
        }
        return procs;
    }

    /** Kills what an instance that is gone left behind in its session (children of a crashed or killed root). */
    private static void killLeftovers(Tracked t) {
        List<ProcessHandle> left = Procs.session(t.file.pid(), t.file.startTicks());
        if (!left.isEmpty()) {
            LOG.info("{} is gone: SIGKILL to {} process(es) left in its session", t, left.size());
            Procs.signal(left, true);
        }
    }

    private void finish(Tracked t, int code, String reason) {
        boolean expected;
        ReentrantLock lock = lock(t.id());
        lock.lock();
        try {
            if (!t.finished.compareAndSet(false, true)) {
                return;
            }
            tracked.remove(t.id(), t);
            retire(t.dir, t.file.pid());
            killLeftovers(t);
            expected = t.stopRequested || stopMarked(t);
        } finally {
            lock.unlock();
        }
        if (expected) {
            LOG.info("{} stopped: {}", t, reason);
            return;
        }
        ExitInfo exit = new ExitInfo(code, Instant.now(), reason);
        if (closed) {
            LOG.info("{} {} (not reported: the backend is closed)", t, reason);
            return;
        }
        LOG.warn("{} {}", t, reason);
        try {
            listener.exited(t.id(), Long.toString(t.file.pid()), exit);
        } catch (RuntimeException e) {
            LOG.warn("exit listener failed for {}: {}", t, e.toString(), e);
        }
    }

    private static boolean stopMarked(Tracked t) {
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
        ReentrantLock lock = lock(id);
        lock.lock();
        try {
            Optional<Tracked> found = findRunning(id);
            if (found.isEmpty()) {
                LOG.debug("instance '{}' does not run: stop is a no-op", id);
                return;
            }
            Tracked t = found.get();
            t.stopRequested = true;
            try {
                InstanceFile.writeAtomically(t.dir.resolve(STOP_MARKER),
                        (t.file.pid() + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                LOG.warn("{}: cannot write the stop marker: {}", t, e.toString());
            }
            Map<Long, ProcessHandle> procs = processesOf(t);
            LOG.info("stopping {}: SIGTERM to {} process(es), grace {}", t, procs.size(), grace);
            Procs.signal(procs.values(), false);
            if (!Procs.awaitGone(procs.values(), System.nanoTime() + grace.toNanos())) {
                if (Procs.running(t.handle)) {
                    Procs.collect(t.handle, procs);
                }
                processesOf(t).forEach(procs::putIfAbsent);
                LOG.warn("{} still runs after the grace of {}: SIGKILL to {} process(es)", t, grace, procs.size());
                Procs.signal(procs.values(), true);
                if (!Procs.awaitGone(procs.values(), System.nanoTime() + KILL_WAIT.toNanos())) {
                    throw new BackendException(t + " still runs " + KILL_WAIT + " after SIGKILL");
                }
            }
            if (t.finished.compareAndSet(false, true)) {
                tracked.remove(id, t);
                retire(t.dir, t.file.pid());
            }
            killLeftovers(t); // what it spawned during the grace period
            LOG.info("{} stopped", t);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void kill(String instanceId) {
        String id = checked("instance id", instanceId);
        ReentrantLock lock = lock(id);
        lock.lock();
        try {
            Optional<Tracked> found = findRunning(id);
            if (found.isEmpty()) {
                LOG.debug("instance '{}' does not run: kill is a no-op", id);
                return;
            }
            Tracked t = found.get();
            t.killRequested = true;
            Map<Long, ProcessHandle> procs = processesOf(t);
            LOG.info("killing {}: SIGKILL to {} process(es)", t, procs.size());
            Procs.signal(procs.values(), true);
            if (!Procs.awaitGone(procs.values(), System.nanoTime() + KILL_WAIT.toNanos())) {
                throw new BackendException(t + " still runs " + KILL_WAIT + " after SIGKILL");
            }
        } finally {
            lock.unlock();
        }
        // its exit is reported by the Commons Exec handler or the onExit watch, like a crash
    }

    // ---------------------------------------------------------------- list, adopt

    @Override
    public List<RunningInstance> list() {
        ensureOpen();
        List<RunningInstance> result = new ArrayList<>();
        for (Found f : scan()) {
            String id = f.file.instanceId();
            Optional<ProcessHandle> handle = Procs.find(f.file.pid(), f.file.startedAt(), f.file.startTicks());
            ReentrantLock lock = lock(id);
            boolean locked = lock.tryLock();
            try {
                if (handle.isPresent()) {
                    Tracked t = locked ? adopt(f, handle.get()) : new Tracked(f.file, f.dir, handle.get(), false);
                    result.add(t.running());
                } else if (locked) {
                    Tracked t = tracked.get(id);
                    if (t == null || t.file.pid() != f.file.pid()) {
                        LOG.info("app '{}' instance '{}': pid {} is gone, retiring its pid file", f.file.app(), id,
                                f.file.pid());
                        retire(f.dir, f.file.pid());
                    }
                }
            } finally {
                if (locked) {
                    lock.unlock();
                }
            }
        }
        return result;
    }

    /** The tracked instance with that id if it runs, adopting it from its pid file if needed. */
    private Optional<Tracked> findRunning(String id) {
        Tracked t = tracked.get(id);
        if (t != null && !t.finished.get() && Procs.running(t.handle)) {
            return Optional.of(t);
        }
        for (Found f : scan(id)) {
            Optional<ProcessHandle> handle = Procs.find(f.file.pid(), f.file.startedAt(), f.file.startTicks());
            if (handle.isPresent()) {
                return Optional.of(adopt(f, handle.get()));
            }
        }
        return Optional.empty();
    }

    /** Tracks a live process found from its pid file and watches its exit, unless already tracked. */
    private Tracked adopt(Found f, ProcessHandle handle) {
        boolean[] created = new boolean[1];
        Tracked t = tracked.compute(f.file.instanceId(), (k, old) -> {
            if (old != null && !old.finished.get() && old.handle.pid() == handle.pid()) {
                return old;
            }
            created[0] = true;
            return new Tracked(f.file, f.dir, handle, false);
        });
        if (created[0]) {
            LOG.info("adopted {} from {}", t, f.dir);
            handle.onExit().thenRun(() -> adoptedExited(t));
        }
        return t;
    }

    record Found(Path dir, InstanceFile file) {
    }

    /** Every readable pid file under the base dir. */
    private List<Found> scan() {
        return scan(null);
    }

    /** The readable pid files under the base dir, of that instance id only when not null. */
    private List<Found> scan(String onlyId) {
        List<Found> found = new ArrayList<>();
        for (Path dir : instanceDirs(onlyId)) {
            Path file = dir.resolve(InstanceFile.NAME);
            if (!Files.isRegularFile(file)) {
                continue;
            }
            try {
                InstanceFile f = InstanceFile.read(file);
                if (f.instanceId().equals(dir.getFileName().toString())) {
                    found.add(new Found(dir, f));
                }
            } catch (IOException e) {
                LOG.warn("skipping unreadable pid file {}: {}", file, e.toString());
            }
        }
        return found;
    }

    /** {@code <base>/<node>/<app>/instances/<id>} directories, of one id when not null. */
    private List<Path> instanceDirs(String onlyId) {
        List<Path> dirs = new ArrayList<>();
        for (Path node : children(baseDir)) {
            for (Path app : children(node)) {
                Path instances = app.resolve("instances");
                if (onlyId != null) {
                    Path dir = instances.resolve(onlyId);
                    if (Files.isDirectory(dir)) {
                        dirs.add(dir);
                    }
                } else {
                    dirs.addAll(children(instances));
                }
            }
        }
        return dirs;
    }

    private static List<Path> children(Path dir) {
        List<Path> list = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return list;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                if (Names.isSegment(p.getFileName().toString()) && Files.isDirectory(p)) {
                    list.add(p);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}", dir, e.toString());
        }
        list.sort(null);
        return list;
    }

    // ---------------------------------------------------------------- background

    /** Every second: rotate output logs, and catch exits of adopted processes that onExit() is slow to see. */
    private void tick() {
        for (Tracked t : tracked.values()) {
            try {
                if (LogFiles.rotateIfNeeded(t.dir.resolve(LogFiles.OUTPUT), logMaxBytes, logFiles)) {
                    LOG.debug("rotated the output of {}", t);
                }
                if (!t.child && !t.finished.get() && !Procs.running(t.handle)) {
                    adoptedExited(t);
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("background work on {} failed: {}", t, e.toString());
            }
        }
    }

    /** Setup output is reported once the setup ends (it is written to {@code setup.log}, not piped). */
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

    private ReentrantLock lock(String id) {
        return locks.computeIfAbsent(id, k -> new ReentrantLock());
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

    // ---------------------------------------------------------------- console

    /** The instance's directory (live or exited), or a BackendException naming the id. */
    private Path instanceDir(String id) {
        Tracked t = tracked.get(id);
        if (t != null) {
            return t.dir;
        }
        for (Path dir : instanceDirs(id)) {
            if (Files.exists(dir.resolve(InstanceFile.NAME)) || Files.exists(dir.resolve(InstanceFile.EXITED))) {
                return dir;
            }
        }
        throw new BackendException("unknown instance '" + id + "': no instance directory under " + baseDir);
    }

    private InstanceFile instanceFile(String id) {
        Tracked t = tracked.get(id);
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

    private final class Console implements InstanceConsole {
        private static final int EXEC_OUTPUT_CAP = 1 << 20;

        /** Read from {@code /proc/<pid>/environ} of the instance's process, checked to be that instance. */
        @Override
        public Map<String, String> environment(String instanceId) {
            Tracked t = running(instanceId);
            Path environ = Path.of("/proc", Long.toString(t.file.pid()), "environ");
            try {
                Map<String, String> env = new LinkedHashMap<>();
                for (String entry : new String(Files.readAllBytes(environ), java.nio.charset.StandardCharsets.UTF_8).split("\0")) {
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
            Tracked t = running(instanceId);
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
            d.put("command", t.handle.info().commandLine().orElse("(unknown)"));
            return d;
        }

        private Tracked running(String instanceId) {
            String id = checked("instance id", instanceId);
            return findRunning(id).orElseThrow(() -> new NotFoundException("instance '" + id + "' does not run"));
        }

        @Override
        public List<String> logs(String instanceId, int lines) {
            String id = checked("instance id", instanceId);
            if (lines < 0) {
                throw new IllegalArgumentException("lines " + lines + " is not allowed: must be 0 or more");
            }
            Path dir = instanceDir(id);
            try {
                return LogFiles.tail(dir.resolve(LogFiles.OUTPUT), lines, logFiles);
            } catch (IOException e) {
                throw new BackendException("instance '" + id + "': cannot read its output in " + dir + ": " + e, e);
            }
        }

        @Override
        public AutoCloseable follow(String instanceId, java.util.function.Consumer<String> consumer) {
            String id = checked("instance id", instanceId);
            Objects.requireNonNull(consumer, "consumer");
            ensureOpen();
            Path dir = instanceDir(id);
            LogFiles.Follower follower = new LogFiles.Follower(dir.resolve(LogFiles.OUTPUT), consumer, id);
            followers.add(follower);
            return () -> {
                followers.remove(follower);
                follower.close();
            };
        }

        @Override
        public dev.berth.api.ExecResult exec(String instanceId, List<String> argv, Duration timeout) {
            String id = checked("instance id", instanceId);
            Objects.requireNonNull(argv, "argv");
            Objects.requireNonNull(timeout, "timeout");
            if (argv.isEmpty() || argv.stream().anyMatch(a -> a == null || a.indexOf('\0') >= 0)) {
                throw new IllegalArgumentException("argv " + argv + " is not allowed: must be a non-empty list of "
                        + "arguments without NUL");
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout " + timeout + " is not allowed: must be positive");
            }
            InstanceFile file = instanceFile(id);
            Launch.ExactLauncher launcher = new Launch.ExactLauncher(asUser(argv, file.runAs()), null);
            Launch.Executor executor = new Launch.Executor(launcher, file.workDir(), "berth-process-exec-" + id);
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
                code = executor.execute(Launch.commandLine(argv), file.env());
            } catch (IOException e) {
                throw new BackendException("app '" + file.app() + "' instance '" + id + "': cannot exec " + argv
                        + ": " + e.getMessage(), e);
            }
            String output = out.text();
            if (watchdog.timedOut()) {
                output += (output.isEmpty() || output.endsWith("\n") ? "" : "\n") + "[berth: killed after the timeout of "
                        + timeout + "]\n";
            }
            return new dev.berth.api.ExecResult(code, output);
        }
    }

    /** Keeps the first {@code cap} bytes written and counts the rest. Thread-safe. */
    private static final class CappedOutput extends java.io.OutputStream {
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        private final int cap;
        private long dropped;

        CappedOutput(int cap) {
            this.cap = cap;
        }

        @Override
        public synchronized void write(int b) {
            if (bytes.size() < cap) {
                bytes.write(b);
            } else {
                dropped++;
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            int keep = Math.max(0, Math.min(len, cap - bytes.size()));
            bytes.write(b, off, keep);
            dropped += len - keep;
        }

        synchronized String text() {
            String s = bytes.toString(StandardCharsets.UTF_8);
            return dropped == 0 ? s : s + "\n[berth: output cut at " + cap + " bytes, " + dropped + " more dropped]\n";
        }
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
