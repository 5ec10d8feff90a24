// The Docker backend's public face: its builder and the Backend operations, delegated to the package's parts.
package dev.berth.backend.docker;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.AppSpec;
import dev.berth.spi.Backend;
import dev.berth.api.BackendException;
import dev.berth.spi.InstanceConsole;
import dev.berth.spi.LaunchRequest;
import dev.berth.api.NodeSpec;
import dev.berth.spi.RunningInstance;
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

    private final Engine engine;
    private final ContainerExits exits;
    private final ImageBuilds images;
    private final ContainerControl control;
    private final DockerConsole console;
    private final ContainerStats stats;

    private DockerBackend(Builder b) {
        this.engine = new Engine(b.dockerHost, b.tlsCertPath, b.node, b.publishAddress);
        this.exits = new ContainerExits(engine);
        this.images = new ImageBuilds(engine);
        this.control = new ContainerControl(engine, exits, images, Collections.unmodifiableMap(new TreeMap<>(b.labels)));
        this.console = new DockerConsole(engine);
        this.stats = new ContainerStats(engine);
        exits.start();
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
        return engine.node;
    }

    // ---------------------------------------------------------------- start, stop, kill

    @Override
    public RunningInstance start(LaunchRequest request) {
        Objects.requireNonNull(request, "request");
        engine.ensureOpen();
        String id = checkedId(request.instanceId());
        AppSpec spec = request.app();
        String what = "app '" + spec.name() + "' instance '" + id + "'";
        if (!engine.node.equals(request.node())) {
            throw new BackendException(what + ": asked to start on node '" + request.node()
                    + "' but this Docker backend is node '" + engine.node + "'");
        }
        return control.start(id, request, what);
    }

    @Override
    public void stop(String instanceId, Duration grace) {
        String id = checkedId(instanceId);
        Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace " + grace + " is not allowed: must not be negative");
        }
        control.stop(id, grace);
    }

    @Override
    public void kill(String instanceId) {
        control.kill(checkedId(instanceId));
    }

    @Override
    public void onExit(ExitListener listener) {
        exits.onExit(listener);
    }

    // ---------------------------------------------------------------- list, adopt

    @Override
    public List<RunningInstance> list() {
        engine.ensureOpen();
        return control.list();
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
        engine.ensureOpen();
        return stats.nodeSpec();
    }

    /**
     * The resource use of a running instance (one reading, {@code docker stats --no-stream}).
     *
     * @throws BackendException when it has no running container or the engine cannot be reached
     */
    public Stats stats(String instanceId) {
        String id = checkedId(instanceId);
        engine.ensureOpen();
        return stats.read(id);
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
        return images.buildIfNotExist(image, context, progress);
    }

    @Override
    public void onBuildOutput(BuildListener listener) {
        images.onBuildOutput(listener);
    }

    // ---------------------------------------------------------------- names

    /** The container an instance runs as: {@code berth-<instanceId>}. */
    static String containerName(String instanceId) {
        return NAME_PREFIX + instanceId;
    }

    /** A container id as the docker CLI shows it: its first 12 characters. */
    static String shortId(String containerId) {
        return containerId != null && containerId.length() > 12 ? containerId.substring(0, 12) : containerId;
    }

    /** {@code id} when it is a valid instance (or node) id; else an IllegalArgumentException naming it. */
    static String checkedId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("instance id '" + id + "' is not allowed: must be 1-128 of "
                    + "A-Z a-z 0-9 _ . -, starting with a letter or digit");
        }
        return id;
    }

    // ---------------------------------------------------------------- console, close

    /** For tests: the event stream is dropped as if the connection were lost. */
    void dropEventStream() {
        exits.dropEventStream();
    }

    @Override
    public InstanceConsole console() {
        return console;
    }

    /** Stops the event stream and followers and closes the client; the containers keep running. Idempotent. */
    @Override
    public void close() {
        if (!engine.markClosed()) {
            return;
        }
        exits.close();
        console.closeFollowers();
        engine.closeClient();
        LOG.info("Docker backend for {} (node '{}') closed; {} container(s) keep running", engine.dockerHost, engine.node,
                exits.size());
    }

    @Override
    public String toString() {
        return "DockerBackend[" + engine.dockerHost + ", node " + engine.node + ", publish " + engine.publishAddress + "]";
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
