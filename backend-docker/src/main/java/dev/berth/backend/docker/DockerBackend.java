package dev.berth.backend.docker;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerClientException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;

import dev.berth.api.AppSpec;
import dev.berth.api.Backend;
import dev.berth.api.BackendException;
import dev.berth.api.Endpoint;
import dev.berth.api.ExecResult;
import dev.berth.api.InstanceConsole;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.LaunchRequest;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.api.RunningInstance;
import dev.berth.api.Source;
import dev.berth.support.ArgvExpansion;
import dev.berth.support.BerthEnv;
import dev.berth.support.CappedOutput;
import dev.berth.support.ExitCodes;
import dev.berth.support.IdLocks;
import dev.berth.support.OutputCaps;

/**
 * A {@link Backend} that runs instances as containers on one Docker Engine (one node), through
 * docker-java; built with {@link #builder()}.
 *
 * <p>An instance is the container {@code berth-<instanceId>}, labelled {@value #APP},
 * {@value #INSTANCE}, {@value #RELEASE} and {@value #NODE} (plus the builder's extra labels); the
 * labels are how {@link #list()} finds the containers again after a restart of the platform.
 * Docker's restart policy is {@code no}: Berth restarts instances, so every exit is seen. Exits
 * come from the daemon's event stream ({@code die} events of containers with this node's label);
 * when the stream is lost the backend reconnects, asks for the events since the last one it saw,
 * and inspects every container it knows, so an exit is reported once even across a lost stream.
 *
 * <p>Env values {@link AppSpec#RANDOM_PORT} become container ports (8080 for {@code PORT}, 8081
 * and up for other keys) that Docker publishes on a free host port of the publish address
 * (127.0.0.1 by default); a fixed {@code PORT} is published the same way. The endpoint is the
 * publish address and that host port.
 *
 * <p>Stopped instances are removed; containers that exited on their own are kept (their logs stay
 * readable) until the same instance id is started again, which removes and recreates them.
 *
 * <p>Output handed back is capped in bytes as well as lines ({@link OutputCaps}): a line keeps its
 * first 4 KiB and "... (N bytes cut)", {@code logs(id, n)} returns at most 1 MiB, followers never
 * hold more than 4 KiB of a line, exec results keep the first 1 MiB, and an image build reports
 * at most 1 MiB of its output and quotes its last 20 lines when it fails.
 *
 * <p>Thread-safe: operations on one instance id are serialized, on different ids run in parallel.
 */
public final class DockerBackend implements Backend {
    /** Label: the app's name. */
    public static final String APP = "dev.berth.app";
    /** Label: the instance id. */
    public static final String INSTANCE = "dev.berth.instance";
    /** Label: the release. */
    public static final String RELEASE = "dev.berth.release";
    /** Label: the node (this backend's node id). */
    public static final String NODE = "dev.berth.node";
    /** The prefix of container names: {@code berth-<instanceId>}. */
    public static final String NAME_PREFIX = "berth-";

    private static final Logger LOG = LoggerFactory.getLogger(DockerBackend.class);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final int FIRST_RANDOM_CONTAINER_PORT = 8080;
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private final String dockerHost;
    private final String node;
    private final String publishAddress;
    private final Map<String, String> extraLabels;
    private final DockerClient docker;
    private final ExitWatcher watcher;
    /** Containers this backend started or listed, by container id. */
    private final Map<String, TrackedContainer> tracked = new ConcurrentHashMap<>();
    private final IdLocks locks = new IdLocks();
    private final Set<AutoCloseable> followers = ConcurrentHashMap.newKeySet();
    private final Console console = new Console();
    private volatile ExitListener listener = (id, handle, exit) -> { };
    private volatile BuildListener buildListener = (app, release, node, line) -> { };
    private volatile boolean closed;

    /** A container this backend knows; {@code stopRequested} and {@code reported} make each exit count once. */
    static final class TrackedContainer {
        final RunningInstance instance;
        volatile boolean stopRequested;
        final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();

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

    private DockerBackend(Builder b) {
        this.dockerHost = b.dockerHost;
        this.node = b.node;
        this.publishAddress = b.publishAddress;
        this.extraLabels = Collections.unmodifiableMap(new TreeMap<>(b.labels));
        DefaultDockerClientConfig.Builder config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(b.dockerHost);
        if (b.tlsCertPath != null) {
            config.withDockerTlsVerify(true).withDockerCertPath(b.tlsCertPath.toString());
        } else {
            config.withDockerTlsVerify(false);
        }
        DefaultDockerClientConfig cfg = config.build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(cfg.getDockerHost())
                .sslConfig(cfg.getSSLConfig())
                .maxConnections(100)
                .connectionTimeout(Duration.ofSeconds(10))
                .build();
        this.docker = DockerClientImpl.getInstance(cfg, http);
        this.watcher = new ExitWatcher(docker, Map.of(NODE, node), this::died, this::resync, dockerHost);
        watcher.start();
    }

    /** A builder with the defaults: unix:///var/run/docker.sock, node "docker", publish address 127.0.0.1. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "docker";
    }

    /** The node id this backend's containers are labelled with. */
    public String node() {
        return node;
    }

    // ---------------------------------------------------------------- start

    @Override
    public RunningInstance start(LaunchRequest request) {
        Objects.requireNonNull(request, "request");
        ensureOpen();
        String id = checkedId(request.instanceId());
        AppSpec spec = request.app();
        String what = "app '" + spec.name() + "' instance '" + id + "'";
        if (!node.equals(request.node())) {
            throw new BackendException(what + ": asked to start on node '" + request.node()
                    + "' but this Docker backend is node '" + node + "'");
        }
        IdLocks.Held lock = locks.lock(id);
        try {
            InspectContainerResponse existing = owned(awaitCreated(containerName(id), what), id, what, true);
            if (existing != null) {
                if (Boolean.TRUE.equals(existing.getState().getRunning())) {
                    TrackedContainer t = track(toInstance(existing));
                    LOG.debug("{} already runs: start is a no-op", t);
                    return t.instance;
                }
                LOG.info("{}: removing the leftover stopped container {}", what, shortId(existing.getId()));
                removeQuietly(existing.getId(), what);
            }
            String image = imageFor(spec, request.release(), what);
            return create(id, request, spec, image, what);
        } finally {
            lock.close();
        }
    }

    private RunningInstance create(String id, LaunchRequest request, AppSpec spec, String image, String what) {
        Map<String, String> labels = new TreeMap<>(extraLabels);
        labels.put(APP, spec.name());
        labels.put(INSTANCE, id);
        labels.put(RELEASE, request.release());
        labels.put(NODE, node);

        Map<String, String> env = new LinkedHashMap<>();
        List<ExposedPort> exposed = new ArrayList<>();
        List<PortBinding> bindings = new ArrayList<>();
        int nextPort = FIRST_RANDOM_CONTAINER_PORT;
        Set<String> fixed = new java.util.HashSet<>(spec.env().values());
        for (Map.Entry<String, String> e : spec.sortedEnv().entrySet()) {
            String value = e.getValue();
            boolean port = AppSpec.PORT.equals(e.getKey());
            if (AppSpec.RANDOM_PORT.equals(value)) {
                int p = port ? FIRST_RANDOM_CONTAINER_PORT : ++nextPort;
                while (!port && fixed.contains(Integer.toString(p))) {
                    p = ++nextPort;
                }
                value = Integer.toString(p);
                port = true;
            }
            if (port) {
                ExposedPort ep = ExposedPort.tcp(Integer.parseInt(value));
                exposed.add(ep);
                bindings.add(new PortBinding(Ports.Binding.bindIp(publishAddress), ep));
            }
            env.put(e.getKey(), value);
        }
        BerthEnv.putInstance(env, spec.name(), id, request.release(), node);
        List<String> envList = new ArrayList<>();
        env.forEach((k, v) -> envList.add(k + "=" + v));
        List<String> command = ArgvExpansion.command(spec, env, what);   // ${NAME} from the container's env, no shell

        HostConfig host = HostConfig.newHostConfig()
                .withPortBindings(bindings)
                .withRestartPolicy(RestartPolicy.noRestart());
        Resources r = spec.resources();
        if (r.has(Resources.CPU) && r.get(Resources.CPU) > 0) {
            host.withNanoCPUs(Math.round(r.get(Resources.CPU) * 1e9));
        }
        if (r.has(Resources.MEMORY_MB) && r.get(Resources.MEMORY_MB) > 0) {
            long bytes = Math.round(r.get(Resources.MEMORY_MB) * 1024 * 1024);
            if (bytes < 6L * 1024 * 1024) {
                throw new BackendException(what + ": memoryMb " + r.get(Resources.MEMORY_MB)
                        + " is below Docker's minimum of 6 MiB");
            }
            host.withMemory(bytes);
        }
        String containerId = call(what + ": create container from image '" + image + "'", () -> {
            var cmd = docker.createContainerCmd(image)
                    .withName(containerName(id))
                    .withLabels(labels)
                    .withEnv(envList)
                    .withExposedPorts(exposed)
                    .withHostConfig(host);
            if (!command.isEmpty()) {
                cmd.withCmd(command);
            }
            if (!spec.workingDir().isEmpty()) {
                cmd.withWorkingDir(workingDir(spec, image, what));
            }
            if (!spec.user().isEmpty()) {
                cmd.withUser(spec.user());
            }
            CreateContainerResponse created = cmd.exec();
            return created.getId();
        }, () -> {
            // the name is taken: another backend object started this id meanwhile; never a duplicate
            // the engine reserves the name before the container can be inspected: wait for it to show up and run
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline) {
                InspectContainerResponse other = inspectOrNull(containerName(id), what);
                if (other != null && Boolean.TRUE.equals(other.getState().getRunning())) {
                    return other;
                }
                if (other != null && !"created".equals(other.getState().getStatus())) {
                    return null;
                }
                sleep(50);
            }
            return null;
        });
        if (containerId.startsWith(TAKEN)) {
            InspectContainerResponse other = owned(inspectOrNull(containerName(id), what), id, what, true);
            if (other == null) {
                throw new BackendException(what + ": container name " + containerName(id) + " was taken and is gone again; retry");
            }
            TrackedContainer t = track(toInstance(other));
            LOG.info("{} was started concurrently by another backend: start is a no-op", t);
            return t.instance;
        }
        try {
            call(what + ": start container " + shortId(containerId), () -> {
                docker.startContainerCmd(containerId).exec();
                return null;
            });
            InspectContainerResponse inspected = call(what + ": inspect container " + shortId(containerId),
                    () -> docker.inspectContainerCmd(containerId).exec());
            RunningInstance running = toInstance(inspected);
            TrackedContainer t = track(running);
            LOG.info("{} release '{}' started from image '{}'{}", t, request.release(), image,
                    running.endpoint() == null ? "" : ", endpoint " + running.endpoint());
            if (!Boolean.TRUE.equals(inspected.getState().getRunning())) {
                // it exited at once: the die event (or the resync) reports it
                LOG.warn("{} exited right after its start: {}", t, inspected.getState().getStatus());
            }
            return running;
        } catch (RuntimeException e) {
            removeQuietly(containerId, what);
            throw e;
        }
    }

    /**
     * The container's working dir: an image source's absolute path as is; for code built from a
     * Dockerfile, the spec's path (relative, inside the code) under the image's WORKDIR.
     */
    private String workingDir(AppSpec spec, String image, String what) {
        String dir = spec.workingDir();
        if (dir.startsWith("/")) {
            return dir;
        }
        String base = call(what + ": inspect image '" + image + "'", () -> {
            var config = docker.inspectImageCmd(image).exec().getConfig();
            return config == null || config.getWorkingDir() == null || config.getWorkingDir().isEmpty()
                    ? "/" : config.getWorkingDir();
        });
        return (base.endsWith("/") ? base : base + "/") + dir;
    }

    private String imageFor(AppSpec spec, String release, String what) {
        Source source = spec.source();
        if (source instanceof Source.Image img) {
            return img.image(); // a missing image is told by the create call (one round trip less)
        }
        if (source instanceof Source.Directory dir) {
            String tag = releaseImage(spec.name(), release, dir.path());
            buildImageIfNotExist(tag, dir.path(), line -> {
                LOG.debug("{}: build: {}", what, line);
                buildListener.output(spec.name(), release, node, line);
            });
            return tag;
        }
        throw new BackendException(what + ": the Docker backend runs an image source or a directory with a "
                + "Dockerfile; not " + source);
    }

    /**
     * The image a directory source's release is built into: {@code berth/<app>:<release>-<hash>},
     * where the hash is of the directory's path, so that another platform's release of the same
     * name on this engine (its own state, its own code) never reuses this image.
     */
    static String releaseImage(String app, String release, Path context) {
        byte[] digest;
        try {
            digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(context.toAbsolutePath().normalize().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        String hash = java.util.HexFormat.of().formatHex(digest, 0, 4);
        return releaseImage(app, release + "-" + hash);
    }

    /** {@code berth/<app>:<tag>}, lowercased and cut to what Docker allows. */
    static String releaseImage(String app, String release) {
        String repo = app.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
        repo = repo.replaceAll("^[^a-z0-9]+", "");
        String tag = release.replaceAll("[^A-Za-z0-9_.-]", "_");
        if (tag.isEmpty() || !Character.isLetterOrDigit(tag.charAt(0))) {
            tag = "r" + tag;
        }
        return "berth/" + (repo.isEmpty() ? "app" : repo) + ":" + (tag.length() > 128 ? tag.substring(0, 128) : tag);
    }

    // ---------------------------------------------------------------- exits

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
        if (closed) {
            LOG.info("{} {} (not reported: the backend is closed)", t, reason);
            return;
        }
        LOG.warn("{} {}", t, reason);
        try {
            listener.exited(t.instance.instanceId(), containerId, new dev.berth.api.ExitInfo(code, Instant.now(), reason));
        } catch (RuntimeException e) {
            LOG.warn("exit listener failed for {}: {}", t, e.toString(), e);
        }
    }

    /** After (re)connecting the event stream: every known container that no longer runs is an exit. */
    private void resync() {
        for (TrackedContainer t : List.copyOf(tracked.values())) {
            try {
                InspectContainerResponse c = docker.inspectContainerCmd(t.containerId()).exec();
                if (!Boolean.TRUE.equals(c.getState().getRunning())) {
                    Long code = c.getState().getExitCodeLong();
                    died(t.containerId(), code == null ? dev.berth.api.ExitInfo.UNKNOWN : code.intValue(),
                            "seen on resync");
                }
            } catch (NotFoundException e) {
                died(t.containerId(), dev.berth.api.ExitInfo.UNKNOWN, "container removed, seen on resync");
            } catch (RuntimeException e) {
                LOG.debug("resync of {} failed: {}", t, e.toString());
            }
        }
    }

    @Override
    public void onExit(ExitListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    // ---------------------------------------------------------------- stop, kill

    @Override
    public void stop(String instanceId, Duration grace) {
        String id = checkedId(instanceId);
        Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace " + grace + " is not allowed: must not be negative");
        }
        String what = "instance '" + id + "'";
        IdLocks.Held lock = locks.lock(id);
        try {
            InspectContainerResponse c = owned(inspectOrNull(containerName(id), what), id, what, false);
            if (c == null) {
                LOG.debug("{} has no container: stop is a no-op", what);
                return;
            }
            TrackedContainer t = tracked.get(c.getId());
            if (t != null) {
                t.stopRequested = true;
            }
            if (Boolean.TRUE.equals(c.getState().getRunning())) {
                int seconds = (int) Math.min(Integer.MAX_VALUE, (grace.toMillis() + 999) / 1000);
                LOG.info("stopping {} (container {}): SIGTERM, SIGKILL after {} s", what, shortId(c.getId()), seconds);
                try {
                    call(what + ": stop container " + shortId(c.getId()), () -> {
                        docker.stopContainerCmd(c.getId()).withTimeout(seconds).exec();
                        return null;
                    });
                } catch (BackendException e) {
                    if (!(e.getCause() instanceof NotModifiedException) && !(e.getCause() instanceof NotFoundException)) {
                        throw e;
                    }
                }
            }
            if (t != null && t.done.compareAndSet(false, true)) {
                tracked.remove(c.getId(), t);
            }
            removeQuietly(c.getId(), what);
            LOG.info("{} stopped and removed", what);
        } finally {
            lock.close();
        }
    }

    @Override
    public void kill(String instanceId) {
        String id = checkedId(instanceId);
        String what = "instance '" + id + "'";
        IdLocks.Held lock = locks.lock(id);
        try {
            InspectContainerResponse c = owned(inspectOrNull(containerName(id), what), id, what, false);
            if (c == null || !Boolean.TRUE.equals(c.getState().getRunning())) {
                LOG.debug("{} does not run: kill is a no-op", what);
                return;
            }
            track(toInstance(c));
            LOG.info("killing {} (container {}): SIGKILL", what, shortId(c.getId()));
            try {
                docker.killContainerCmd(c.getId()).exec();
            } catch (ConflictException | NotFoundException e) {
                LOG.debug("{} was already gone: {}", what, e.getMessage());
                return;
            } catch (RuntimeException e) {
                throw failure(what + ": kill container " + shortId(c.getId()), e);
            }
            long deadline = System.nanoTime() + KILL_WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                InspectContainerResponse now = inspectOrNull(c.getId(), what);
                if (now == null || !Boolean.TRUE.equals(now.getState().getRunning())) {
                    return; // its exit is reported from the die event, like a crash
                }
                sleep(50);
            }
            throw new BackendException(what + ": container " + shortId(c.getId()) + " still runs " + KILL_WAIT
                    + " after SIGKILL");
        } finally {
            lock.close();
        }
    }

    // ---------------------------------------------------------------- list, adopt

    @Override
    public List<RunningInstance> list() {
        ensureOpen();
        List<Container> containers = call("list the containers of node '" + node + "'",
                () -> docker.listContainersCmd().withLabelFilter(Map.of(NODE, node)).exec());
        List<RunningInstance> result = new ArrayList<>();
        for (Container c : containers) {
            Map<String, String> labels = c.getLabels() == null ? Map.of() : c.getLabels();
            if (labels.get(INSTANCE) == null || labels.get(APP) == null || labels.get(RELEASE) == null) {
                continue;
            }
            try {
                InspectContainerResponse inspected = docker.inspectContainerCmd(c.getId()).exec();
                if (Boolean.TRUE.equals(inspected.getState().getRunning())) {
                    result.add(track(toInstance(inspected)).instance);
                }
            } catch (NotFoundException e) {
                LOG.debug("container {} went away while listing", shortId(c.getId()));
            } catch (RuntimeException e) {
                throw failure("list: inspect container " + shortId(c.getId()), e);
            }
        }
        return result;
    }

    private TrackedContainer track(RunningInstance instance) {
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

    private RunningInstance toInstance(InspectContainerResponse c) {
        Map<String, String> labels = c.getConfig() == null || c.getConfig().getLabels() == null ? Map.of()
                : c.getConfig().getLabels();
        String id = labels.getOrDefault(INSTANCE, c.getName() == null ? c.getId() : c.getName().replaceFirst("^/", ""));
        Endpoint endpoint = null;
        String port = envOf(c).get(AppSpec.PORT);
        if (port != null && port.matches("[0-9]{1,5}") && c.getNetworkSettings() != null
                && c.getNetworkSettings().getPorts() != null) {
            Ports.Binding[] b = c.getNetworkSettings().getPorts().getBindings().get(ExposedPort.tcp(Integer.parseInt(port)));
            if (b != null && b.length > 0 && b[0].getHostPortSpec() != null && b[0].getHostPortSpec().matches("[0-9]{1,5}")) {
                endpoint = new Endpoint(publishAddress, Integer.parseInt(b[0].getHostPortSpec()));
            }
        }
        Instant started;
        try {
            started = Instant.parse(c.getState().getStartedAt());
        } catch (RuntimeException e) {
            started = Instant.now();
        }
        return new RunningInstance(id, labels.getOrDefault(APP, "?"), labels.getOrDefault(RELEASE, "?"),
                labels.getOrDefault(NODE, node), endpoint, c.getId(), started);
    }

    private static Map<String, String> envOf(InspectContainerResponse c) {
        Map<String, String> env = new LinkedHashMap<>();
        if (c.getConfig() != null && c.getConfig().getEnv() != null) {
            for (String kv : c.getConfig().getEnv()) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
        }
        return env;
    }

    // ---------------------------------------------------------------- stats

    /**
     * A container's resource use at one moment, for accounting. Immutable.
     *
     * @param cpuTime          the cpu time used since the container started
     * @param memoryBytes      the memory in use now
     * @param memoryLimitBytes the memory limit (the engine's memory when the container has none)
     * @param at               when the engine read these
     */
    public record Stats(Duration cpuTime, long memoryBytes, long memoryLimitBytes, Instant at) {
        public Stats {
            Objects.requireNonNull(cpuTime, "cpuTime");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * This engine as a node of the cluster: its id and the capacities the engine reports
     * ({@code docker info}: {@code cpu} = its CPUs, {@code memoryMb} = its memory in MiB), for a
     * platform that takes capacities from the engine instead of configuring them.
     *
     * @throws BackendException when the engine cannot be reached
     */
    public NodeSpec nodeSpec() {
        ensureOpen();
        Info info = call("docker info", () -> docker.infoCmd().exec());
        Integer cpus = info.getNCPU();
        Long memory = info.getMemTotal();
        if (cpus == null || memory == null) {
            throw new BackendException("docker info on " + dockerHost + " reported no CPU count or memory size");
        }
        return NodeSpec.of(node, Resources.builder().cpu(cpus).memoryMb(memory / (1024 * 1024)).build());
    }

    /**
     * The resource use of a running instance (one reading, {@code docker stats --no-stream}).
     *
     * @throws BackendException when it has no running container or the engine cannot be reached
     */
    public Stats stats(String instanceId) {
        String id = checkedId(instanceId);
        ensureOpen();
        String what = "instance '" + id + "'";
        InspectContainerResponse c = inspectOrNull(containerName(id), what);
        if (c == null || !Boolean.TRUE.equals(c.getState().getRunning())) {
            throw new BackendException(what + ": no running container " + containerName(id) + " on " + dockerHost);
        }
        java.util.concurrent.atomic.AtomicReference<com.github.dockerjava.api.model.Statistics> got =
                new java.util.concurrent.atomic.AtomicReference<>();
        ResultCallback.Adapter<com.github.dockerjava.api.model.Statistics> callback = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(com.github.dockerjava.api.model.Statistics s) {
                got.compareAndSet(null, s);
            }
        };
        try {
            docker.statsCmd(c.getId()).withNoStream(true).exec(callback).awaitCompletion(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(what + ": interrupted while reading stats", e);
        } catch (RuntimeException e) {
            throw failure(what + ": read stats of container " + shortId(c.getId()), e);
        }
        var s = got.get();
        if (s == null || s.getCpuStats() == null || s.getMemoryStats() == null) {
            throw new BackendException(what + ": the engine at " + dockerHost + " gave no stats for container "
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

    // ---------------------------------------------------------------- images

    /**
     * Builds {@code image} from a directory holding a Dockerfile, or a tarball of one (meteor-launcher's
     * bundle; plain or gzip-compressed), unless the engine has it already.
     * Nothing is pulled: the Dockerfile's base image must be on the engine.
     *
     * @return true when it was built, false when it existed
     * @throws BackendException when the build fails; the message holds the build's last 20 lines
     *                          (each cut after 4 KiB) and its error (cut after 4 KiB)
     */
    public boolean buildImageIfNotExist(String image, Path context) {
        return buildImageIfNotExist(image, context, line -> LOG.debug("build {}: {}", image, line));
    }

    /**
     * As {@link #buildImageIfNotExist(String, Path)}, handing each line of build output to
     * {@code progress}: lines cut after 4 KiB with "... (N bytes cut)", at most 1 MiB of them per
     * build, then one line saying how much was left out.
     */
    public boolean buildImageIfNotExist(String image, Path context, Consumer<String> progress) {
        ensureOpen();
        try {
            new Source.Image(image);
        } catch (InvalidSpecException e) {
            throw new IllegalArgumentException("image '" + image + "' is not allowed: must be an image reference "
                    + "such as 'team/web:1.2'", e);
        }
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(progress, "progress");
        Path dir = context.toAbsolutePath().normalize();
        boolean tarball = Files.isRegularFile(dir);
        if (!tarball && !Files.isRegularFile(dir.resolve("Dockerfile"))) {
            throw new IllegalArgumentException("context '" + dir + "' is not allowed: must be a directory holding a "
                    + "Dockerfile, or a tarball (.tar, .tar.gz) of one");
        }
        String what = "image '" + image + "'";
        IdLocks.Held lock = locks.lock("image:" + image);
        try {
            if (imageExists(image, what)) {
                LOG.debug("{} exists: not built", what);
                return false;
            }
            LOG.info("building {} from {}", what, dir);
            BuildLog callback = new BuildLog(progress);
            try (java.io.InputStream tar = tarball ? Files.newInputStream(dir) : null) {
                (tarball ? docker.buildImageCmd(tar) : docker.buildImageCmd(dir.toFile()))
                        .withTags(Set.of(image))
                        .withPull(false)
                        .withRemove(true)
                        .withForcerm(true)
                        .exec(callback)
                        .awaitImageId();
            } catch (DockerClientException | DockerException e) {
                callback.finish();
                String err = callback.error() != null ? callback.error()
                        : OutputCaps.cutText(String.valueOf(e.getMessage()), BuildLog.ERROR_BYTES);
                throw new BackendException("building " + what + " from " + dir + " failed: " + err
                        + "\nlast lines of the build:\n" + callback.tail(), e);
            } catch (IOException e) {
                throw new BackendException("building " + what + ": cannot read the context " + dir + ": " + e, e);
            } catch (RuntimeException e) {
                throw failure("build " + what + " from " + dir, e);
            }
            callback.finish();
            LOG.info("built {}", what);
            return true;
        } finally {
            lock.close();
        }
    }

    private boolean imageExists(String image, String what) {
        try {
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        } catch (RuntimeException e) {
            throw failure(what + ": inspect image '" + image + "'", e);
        }
    }

    // ---------------------------------------------------------------- plumbing

    private InspectContainerResponse inspectOrNull(String nameOrId, String what) {
        try {
            return docker.inspectContainerCmd(nameOrId).exec();
        } catch (NotFoundException e) {
            return null;
        } catch (RuntimeException e) {
            throw failure(what + ": inspect container " + nameOrId, e);
        }
    }

    /**
     * Inspects a container, waiting up to 10 s while it is "created" but not started: another
     * backend object on the same engine may be between its create and its start.
     */
    private InspectContainerResponse awaitCreated(String name, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            InspectContainerResponse c = inspectOrNull(name, what);
            if (c == null || !"created".equals(c.getState().getStatus()) || System.nanoTime() > deadline) {
                return c;
            }
            sleep(50);
        }
    }

    /**
     * {@code c} when it is labelled with this node (or null); another node's container of that name
     * (another platform on this engine) is an error when {@code refuse}, else absent for this node.
     */
    private InspectContainerResponse owned(InspectContainerResponse c, String id, String what, boolean refuse) {
        Map<String, String> labels = c == null || c.getConfig() == null || c.getConfig().getLabels() == null
                ? Map.of() : c.getConfig().getLabels();
        if (c == null || node.equals(labels.get(NODE))) {
            return c;
        }
        String owner = labels.get(NODE) == null ? "none (not a container of Berth's)" : "'" + labels.get(NODE) + "'";
        if (!refuse) {
            LOG.debug("{}: container {} belongs to node {}, not '{}': left alone", what, containerName(id), owner, node);
            return null;
        }
        throw new BackendException(what + ": container " + containerName(id) + " on " + dockerHost + " belongs to node "
                + owner + ", not this backend's node '" + node + "': container names are per engine, so two platforms "
                + "sharing it need different app names");
    }

    private void requireContainer(String id, String what) {
        if (inspectOrNull(containerName(id), what) == null) {
            throw new BackendException(what + ": no container " + containerName(id) + " on " + dockerHost);
        }
    }

    private void removeQuietly(String containerId, String what) {
        try {
            docker.removeContainerCmd(containerId).withForce(true).exec();
        } catch (NotFoundException e) {
            LOG.debug("{}: container {} already removed", what, shortId(containerId));
        } catch (RuntimeException e) {
            LOG.warn("{}: cannot remove container {}: {}", what, shortId(containerId), e.toString());
        }
    }

    private static final String TAKEN = "taken:";

    /** Creates a container; on a name conflict with a running container returns {@code TAKEN}. */
    private String call(String what, Supplier<String> create, Supplier<InspectContainerResponse> running) {
        try {
            return create.get();
        } catch (NotFoundException e) {
            throw new BackendException(what + " failed: the image is not on the Docker Engine at " + dockerHost
                    + " (nothing is pulled: build or load it first): " + e.getMessage().trim(), e);
        } catch (ConflictException e) {
            InspectContainerResponse other = running.get();
            if (other != null) {
                return TAKEN + other.getId();
            }
            throw failure(what, e);
        } catch (RuntimeException e) {
            throw failure(what, e);
        }
    }

    private <T> T call(String what, Supplier<T> action) {
        try {
            return action.get();
        } catch (RuntimeException e) {
            throw failure(what, e);
        }
    }

    /** A BackendException naming the operation; "cannot reach the Docker daemon" when it is down. */
    private BackendException failure(String what, RuntimeException e) {
        if (e instanceof BackendException be) {
            return be;
        }
        if (e instanceof DockerException de) {
            return new BackendException(what + " failed: the Docker Engine at " + dockerHost + " answered "
                    + de.getHttpStatus() + ": " + de.getMessage().trim(), e);
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof IOException || e.getCause() instanceof IOException) {
            return new BackendException(what + " failed: cannot reach the Docker daemon at " + dockerHost
                    + " (is dockerd running?): " + root, e);
        }
        return new BackendException(what + " failed: " + e, e);
    }

    static String containerName(String instanceId) {
        return NAME_PREFIX + instanceId;
    }

    static String shortId(String containerId) {
        return containerId != null && containerId.length() > 12 ? containerId.substring(0, 12) : containerId;
    }

    private static String checkedId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("instance id '" + id + "' is not allowed: must be 1-128 of "
                    + "A-Z a-z 0-9 _ . -, starting with a letter or digit");
        }
        return id;
    }


    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the Docker backend for " + dockerHost + " is closed");
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException("interrupted", e);
        }
    }

    /** For tests: the event stream is dropped as if the connection were lost. */
    void dropEventStream() {
        watcher.dropStream();
    }

    @Override
    public void onBuildOutput(BuildListener listener) {
        this.buildListener = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public InstanceConsole console() {
        return console;
    }

    /** Stops the event stream and followers and closes the client; the containers keep running. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        watcher.close();
        for (AutoCloseable f : followers) {
            try {
                f.close();
            } catch (Exception e) {
                LOG.debug("closing a follower failed: {}", e.toString());
            }
        }
        followers.clear();
        try {
            docker.close();
        } catch (IOException e) {
            LOG.debug("closing the Docker client failed: {}", e.toString());
        }
        LOG.info("Docker backend for {} (node '{}') closed; {} container(s) keep running", dockerHost, node,
                tracked.size());
    }

    @Override
    public String toString() {
        return "DockerBackend[" + dockerHost + ", node " + node + ", publish " + publishAddress + "]";
    }

    // ---------------------------------------------------------------- console

    private final class Console implements InstanceConsole {
        private static final int EXEC_OUTPUT_CAP = 1 << 20;

        /** The container's environment as the engine started it (the image's env with the app's over it). */
        @Override
        public Map<String, String> environment(String instanceId) {
            return envOf(runningContainer(instanceId));
        }

        @Override
        public Map<String, String> describe(String instanceId) {
            InspectContainerResponse c = runningContainer(instanceId);
            Map<String, String> d = new LinkedHashMap<>();
            d.put("backend", "docker");
            d.put("docker.host", dockerHost);
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
            RunningInstance ri = toInstance(c);
            d.put("endpoint", ri.endpoint() == null ? "" : ri.endpoint().toString());
            return d;
        }

        private InspectContainerResponse runningContainer(String instanceId) {
            String id = checkedId(instanceId);
            String what = "instance '" + id + "'";
            InspectContainerResponse c = inspectOrNull(containerName(id), what);
            if (c == null || c.getState() == null || !Boolean.TRUE.equals(c.getState().getRunning())) {
                throw new dev.berth.api.NotFoundException(what + ": no running container " + containerName(id) + " on "
                        + dockerHost);
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
            requireContainer(id, what);
            LogLines collected = LogLines.collecting(lines);
            try {
                if (!docker.logContainerCmd(containerName(id)).withStdOut(true).withStdErr(true).withTail(lines)
                        .exec(collected).awaitCompletion(30, TimeUnit.SECONDS)) {
                    collected.close();
                    LOG.warn("{}: reading its logs took over 30 s: returning the lines read so far", what);
                }
            } catch (NotFoundException e) {
                throw new BackendException(what + ": no container " + containerName(id) + " on " + dockerHost, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendException(what + ": interrupted while reading logs", e);
            } catch (IOException e) {
                LOG.debug("{}: closing the log stream failed: {}", what, e.toString());
            } catch (RuntimeException e) {
                throw failure(what + ": read logs", e);
            }
            return collected.lines();
        }

        @Override
        public AutoCloseable follow(String instanceId, Consumer<String> consumer) {
            String id = checkedId(instanceId);
            Objects.requireNonNull(consumer, "consumer");
            ensureOpen();
            String what = "instance '" + id + "'";
            requireContainer(id, what);
            LogLines callback = LogLines.following(consumer);
            try {
                docker.logContainerCmd(containerName(id)).withStdOut(true).withStdErr(true).withTail(0)
                        .withFollowStream(true).exec(callback);
            } catch (NotFoundException e) {
                throw new BackendException(what + ": no container " + containerName(id) + " on " + dockerHost, e);
            } catch (RuntimeException e) {
                throw failure(what + ": follow logs", e);
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
            Objects.requireNonNull(argv, "argv");
            Objects.requireNonNull(timeout, "timeout");
            if (argv.isEmpty() || argv.stream().anyMatch(a -> a == null || a.indexOf('\0') >= 0)) {
                throw new IllegalArgumentException("argv " + argv + " is not allowed: must be a non-empty list of "
                        + "arguments without NUL");
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout " + timeout + " is not allowed: must be positive");
            }
            String what = "instance '" + id + "'";
            LOG.info("{}: exec {}", what, argv.get(0));
            String execId;
            try {
                execId = docker.execCreateCmd(containerName(id)).withCmd(argv.toArray(String[]::new))
                        .withAttachStdout(true).withAttachStderr(true).exec().getId();
            } catch (NotFoundException e) {
                throw new BackendException(what + ": no container " + containerName(id) + " on " + dockerHost, e);
            } catch (ConflictException e) {
                throw new BackendException(what + ": container " + containerName(id) + " does not run: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw failure(what + ": exec " + argv, e);
            }
            Capped out = new Capped(EXEC_OUTPUT_CAP);
            boolean finished;
            try {
                finished = docker.execStartCmd(execId).exec(out).awaitCompletion(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendException(what + ": interrupted during exec " + argv, e);
            } catch (RuntimeException e) {
                throw failure(what + ": exec " + argv, e);
            }
            String output = out.text();
            if (!finished) {
                try {
                    out.close();
                } catch (IOException e) {
                    LOG.debug("closing the exec stream failed: {}", e.toString());
                }
                return new ExecResult(dev.berth.api.ExitInfo.UNKNOWN, output + (output.isEmpty() || output.endsWith("\n")
                        ? "" : "\n") + "[berth: no exit within the timeout of " + timeout
                        + "; the command may still run in the container]\n");
            }
            Long code = call(what + ": inspect exec", () -> docker.inspectExecCmd(execId).exec().getExitCodeLong());
            return new ExecResult(code == null ? dev.berth.api.ExitInfo.UNKNOWN : code.intValue(), output);
        }
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

    // ---------------------------------------------------------------- builder

    /**
     * Builds a {@link DockerBackend}. Each setter checks its value at once and throws an
     * {@link IllegalArgumentException} naming the option, the value and what is allowed. Not
     * thread-safe; {@link #build()} returns an independent backend.
     */
    public static final class Builder {
        private static final Pattern HOST = Pattern.compile("(unix://|tcp://|npipe://)[^\\s]{1,1000}");
        private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9.:_\\[\\]-]{1,253}");
        private static final Pattern LABEL_KEY = Pattern.compile("[a-z0-9][a-z0-9._-]{0,127}");
        private String dockerHost = "unix:///var/run/docker.sock";
        private Path tlsCertPath;
        private String node = "docker";
        private String publishAddress = "127.0.0.1";
        private final Map<String, String> labels = new TreeMap<>();

        private Builder() {
        }

        /** The engine's address: {@code unix:///path} (default {@code unix:///var/run/docker.sock}) or {@code tcp://host:port}. */
        public Builder dockerHost(String dockerHost) {
            if (dockerHost == null || !HOST.matcher(dockerHost).matches()) {
                throw new IllegalArgumentException("dockerHost '" + dockerHost + "' is not allowed: must be "
                        + "unix:///path or tcp://host:port");
            }
            URI.create(dockerHost);
            this.dockerHost = dockerHost;
            return this;
        }

        /**
         * Verifies the engine's TLS certificate and authenticates with the client certificate in
         * {@code certPath} ({@code ca.pem}, {@code cert.pem}, {@code key.pem}, as for {@code docker --tlsverify});
         * for a {@code tcp://} host.
         */
        public Builder tls(Path certPath) {
            if (certPath == null || !Files.isDirectory(certPath)) {
                throw new IllegalArgumentException("tls certPath '" + certPath + "' is not allowed: must be a directory "
                        + "holding ca.pem, cert.pem and key.pem");
            }
            this.tlsCertPath = certPath.toAbsolutePath().normalize();
            return this;
        }

        /** The node id this engine is in the cluster (default "docker"); containers are labelled with it. */
        public Builder node(String node) {
            if (node == null || !ID.matcher(node).matches()) {
                throw new IllegalArgumentException("node '" + node + "' is not allowed: must be 1-128 of "
                        + "A-Z a-z 0-9 _ . -, starting with a letter or digit");
            }
            this.node = node;
            return this;
        }

        /** The host address container ports are published on (default 127.0.0.1). */
        public Builder publishAddress(String address) {
            if (address == null || !ADDRESS.matcher(address).matches()) {
                throw new IllegalArgumentException("publishAddress '" + address + "' is not allowed: must be an IP "
                        + "address (A-Z a-z 0-9 . : _ [ ] -)");
            }
            this.publishAddress = address;
            return this;
        }

        /** An extra label put on every container (not one of the dev.berth.app/instance/release/node labels). */
        public Builder label(String key, String value) {
            if (key == null || !LABEL_KEY.matcher(key).matches()) {
                throw new IllegalArgumentException("label key '" + key + "' is not allowed: must be 1-128 of "
                        + "a-z 0-9 . _ -, starting with a letter or digit");
            }
            if (Set.of(APP, INSTANCE, RELEASE, NODE).contains(key)) {
                throw new IllegalArgumentException("label key '" + key + "' is not allowed: Berth sets it");
            }
            if (value == null || value.length() > 1024 || value.chars().anyMatch(Character::isISOControl)) {
                throw new IllegalArgumentException("label " + key + " value is not allowed: must be up to 1024 "
                        + "characters without control characters");
            }
            labels.put(key, value);
            return this;
        }

        /** Extra labels put on every container, as with {@link #label(String, String)}. */
        public Builder labels(Map<String, String> labels) {
            Objects.requireNonNull(labels, "labels");
            labels.forEach(this::label);
            return this;
        }

        /** A backend with these settings; it connects lazily (a daemon that is down is an error per call, not here). */
        public DockerBackend build() {
            if (tlsCertPath != null && !dockerHost.startsWith("tcp://")) {
                throw new IllegalArgumentException("tls is not allowed with dockerHost '" + dockerHost
                        + "': TLS needs a tcp:// host");
            }
            return new DockerBackend(this);
        }
    }
}
