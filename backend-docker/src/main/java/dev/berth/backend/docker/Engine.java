// The Docker client as the backend's parts share it: inspect, remove, node ownership, container to instance, errors.
package dev.berth.backend.docker;

import static dev.berth.backend.docker.DockerBackend.APP;
import static dev.berth.backend.docker.DockerBackend.INSTANCE;
import static dev.berth.backend.docker.DockerBackend.NODE;
import static dev.berth.backend.docker.DockerBackend.RELEASE;
import static dev.berth.backend.docker.DockerBackend.containerName;
import static dev.berth.backend.docker.DockerBackend.shortId;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.support.docker.DockerFailures;
import dev.berth.api.Endpoint;
import dev.berth.spi.RunningInstance;

/**
 * One Docker Engine as this backend's node sees it: the docker-java client, whether the backend is
 * closed, the inspect and remove calls every part makes, which containers belong to this node, how
 * an inspected container becomes a {@link RunningInstance}, and the {@link BackendException}s that
 * name the operation and the engine. Thread-safe (the client is; the closed flag is volatile).
 */
final class Engine {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

    final DockerClient docker;
    final String dockerHost;
    final String node;
    final String publishAddress;
    private volatile boolean closed;

    /** A client for {@code dockerHost}, verifying TLS with the certificates in {@code tlsCertPath} when not null. */
    Engine(String dockerHost, Path tlsCertPath, String node, String publishAddress) {
        this.dockerHost = dockerHost;
        this.node = node;
        this.publishAddress = publishAddress;
        DefaultDockerClientConfig.Builder config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(dockerHost);
        if (tlsCertPath != null) {
            config.withDockerTlsVerify(true).withDockerCertPath(tlsCertPath.toString());
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
    }

    // ---------------------------------------------------------------- open, closed

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the Docker backend for " + dockerHost + " is closed");
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Marks the backend closed; false when it was closed already. */
    boolean markClosed() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    void closeClient() {
        try {
            docker.close();
        } catch (IOException e) {
            LOG.debug("closing the Docker client failed: {}", e.toString());
        }
    }

    // ---------------------------------------------------------------- containers

    InspectContainerResponse inspectOrNull(String nameOrId, String what) {
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
    InspectContainerResponse awaitCreated(String name, String what) {
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
    InspectContainerResponse owned(InspectContainerResponse c, String id, String what, boolean refuse) {
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

    void requireContainer(String id, String what) {
        if (inspectOrNull(containerName(id), what) == null) {
            throw noContainer(id, what, null);
        }
    }

    /** "no container berth-ID on HOST", for instance {@code id}. */
    BackendException noContainer(String id, String what, Throwable cause) {
        return new BackendException(what + ": no container " + containerName(id) + " on " + dockerHost, cause);
    }

    void removeQuietly(String containerId, String what) {
        try {
            docker.removeContainerCmd(containerId).withForce(true).exec();
        } catch (NotFoundException e) {
            LOG.debug("{}: container {} already removed", what, shortId(containerId));
        } catch (RuntimeException e) {
            LOG.warn("{}: cannot remove container {}: {}", what, shortId(containerId), e.toString());
        }
    }

    /** The instance an inspected container of Berth's runs: ids from its labels, the endpoint from its published PORT. */
    RunningInstance toInstance(InspectContainerResponse c) {
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

    /** The container's environment as the engine started it. */
    static Map<String, String> envOf(InspectContainerResponse c) {
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

    // ---------------------------------------------------------------- errors

    <T> T call(String what, Supplier<T> action) {
        try {
            return action.get();
        } catch (RuntimeException e) {
            throw failure(what, e);
        }
    }

    /** A BackendException naming the operation; "cannot reach the Docker daemon" when it is down. */
    BackendException failure(String what, RuntimeException e) {
        return DockerFailures.of(dockerHost, what, e);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException("interrupted", e);
        }
    }
}
