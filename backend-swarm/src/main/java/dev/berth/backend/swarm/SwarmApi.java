// The swarm manager's API as the backend uses it: services by docker-java, tasks and nodes read as JSON.
package dev.berth.backend.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import dev.berth.api.BackendException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One swarm manager's Engine API (or a node's own, for exec). Services are created and removed through docker-java; tasks and
 * nodes are read as JSON straight from the API ({@code GET /tasks}, {@code GET /nodes}), since
 * docker-java's task model lacks the ports a task publishes in host mode. Every failure is a
 * {@link BackendException} naming the call and the manager. Thread-safe.
 */
final class SwarmApi implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    final String manager;
    final DockerClient docker;
    private final DockerHttpClient http;

    /** A task as the backend reads it; {@code publishedPorts} maps each container port to the port its node publishes. */
    record TaskView(String id, String serviceId, String nodeId, String state, String desiredState, Integer exitCode,
                    String message, Map<Integer, Integer> publishedPorts, Instant at, String containerId) {
        boolean running() {
            return "running".equals(state);
        }

        /** Ended, or will not run: complete, failed, shutdown, rejected, orphaned, remove. */
        boolean ended() {
            return List.of("complete", "failed", "shutdown", "rejected", "orphaned", "remove").contains(state);
        }

        /** On its way out, whatever it does now: Swarm wants it shut down or removed (its service went, or it is replaced). */
        boolean retired() {
            return "shutdown".equals(desiredState) || "remove".equals(desiredState);
        }
    }

    /** A node as the backend reads it. */
    record NodeView(String id, String hostname, String state, String message, String address, double cpu, double memoryMb,
                    Map<String, String> labels) {
        boolean ready() {
            return "ready".equals(state);
        }
    }

    SwarmApi(String manager) {
        this.manager = manager;
        DefaultDockerClientConfig cfg = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(manager)
                .withDockerTlsVerify(false).build();
        this.http = new ApacheDockerHttpClient.Builder().dockerHost(cfg.getDockerHost()).maxConnections(50)
                .connectionTimeout(Duration.ofSeconds(10)).responseTimeout(Duration.ofSeconds(60)).build();
        this.docker = DockerClientImpl.getInstance(cfg, http);
    }

    /** Creates {@code spec}; returns the service's id. */
    String create(ServiceSpec spec) {
        try {
            return docker.createServiceCmd(spec).exec().getId();
        } catch (DockerException e) {
            throw fail("create service " + spec.getName(), e);
        }
    }

    /** Removes service {@code idOrName}; a missing one is no error. */
    void remove(String idOrName) {
        try {
            docker.removeServiceCmd(idOrName).exec();
        } catch (NotFoundException e) {
            // gone already
        } catch (DockerException e) {
            throw fail("remove service " + idOrName, e);
        }
    }

    /** The services carrying every label of {@code labels}. */
    List<Service> services(Map<String, String> labels) {
        try {
            return docker.listServicesCmd().withLabelFilter(labels).exec();
        } catch (DockerException e) {
            throw fail("list services", e);
        }
    }

    /** Every task the manager knows (running and ended ones it still keeps). */
    List<TaskView> tasks() {
        return tasks(get("/tasks"));
    }

    /** The tasks of one service only (a start or stop must not read the whole swarm's); none once the service is gone. */
    List<TaskView> tasks(String serviceId) {
        return serviceTasks(serviceId).orElse(List.of());
    }

    /** The tasks of one service, or empty when the manager no longer knows the service (it answers 404 then). */
    Optional<List<TaskView>> serviceTasks(String serviceId) {
        return serviceTasks(List.of(serviceId));
    }

    /** The tasks of these services, or empty when the manager no longer knows one of them (404). */
    Optional<List<TaskView>> serviceTasks(Collection<String> serviceIds) {
        String filter = "{\"service\":[" + serviceIds.stream().map(id -> "\"" + id + "\"").collect(Collectors.joining(",")) + "]}";
        JsonNode all = get("/tasks?filters=" + URLEncoder.encode(filter, StandardCharsets.UTF_8), true);
        return all == null ? Optional.empty() : Optional.of(tasks(all));
    }

    private static List<TaskView> tasks(JsonNode all) {
        List<TaskView> out = new ArrayList<>();
        for (JsonNode t : all) {
            JsonNode status = t.path("Status");
            Map<Integer, Integer> ports = new java.util.TreeMap<>(); // container port to the node's port
            status.path("PortStatus").path("Ports").forEach(p -> ports.put(p.path("TargetPort").asInt(), p.path("PublishedPort").asInt()));
            JsonNode exit = status.path("ContainerStatus").path("ExitCode");
            out.add(new TaskView(t.path("ID").asText(), t.path("ServiceID").asText(), t.path("NodeID").asText(null),
                    status.path("State").asText(), t.path("DesiredState").asText(), exit.isNumber() ? exit.asInt() : null,
                    status.path("Err").asText(status.path("Message").asText("")), ports, instant(status.path("Timestamp").asText(null)),
                    status.path("ContainerStatus").path("ContainerID").asText(null)));
        }
        return out;
    }

    /** Every node of the swarm. */
    List<NodeView> nodes() {
        List<NodeView> out = new ArrayList<>();
        for (JsonNode n : get("/nodes")) {
            JsonNode res = n.path("Description").path("Resources");
            Map<String, String> labels = new java.util.TreeMap<>();
            n.path("Spec").path("Labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            out.add(new NodeView(n.path("ID").asText(), n.path("Description").path("Hostname").asText(""),
                    n.path("Status").path("State").asText(), n.path("Status").path("Message").asText(""),
                    n.path("Status").path("Addr").asText(""), res.path("NanoCPUs").asLong() / 1e9,
                    res.path("MemoryBytes").asLong() / (1024.0 * 1024.0), labels));
        }
        return out;
    }

    /** The last {@code lines} lines a service's tasks wrote, stdout and stderr. */
    List<String> logs(String service, int lines) {
        String path = "/services/" + URLEncoder.encode(service, StandardCharsets.UTF_8) + "/logs?stdout=1&stderr=1&tail=" + lines;
        DockerHttpClient.Request req = DockerHttpClient.Request.builder().method(DockerHttpClient.Request.Method.GET).path(path).build();
        try (DockerHttpClient.Response r = http.execute(req)) {
            if (r.getStatusCode() != 200) {
                throw new BackendException("swarm manager " + manager + ": logs of " + service + ": HTTP " + r.getStatusCode());
            }
            return Frames.lines(r.getBody());
        } catch (IOException e) {
            throw fail("logs of service " + service, e);
        }
    }

    private JsonNode get(String path) {
        return get(path, false);
    }

    /** The JSON answer to GET {@code path}; null for a 404 when {@code notFoundIsNull}. */
    private JsonNode get(String path, boolean notFoundIsNull) {
        DockerHttpClient.Request req = DockerHttpClient.Request.builder().method(DockerHttpClient.Request.Method.GET).path(path).build();
        try (DockerHttpClient.Response r = http.execute(req); InputStream body = r.getBody()) {
            if (r.getStatusCode() == 404 && notFoundIsNull) {
                return null;
            }
            if (r.getStatusCode() != 200) {
                throw new BackendException("swarm manager " + manager + ": GET " + path + " answered HTTP " + r.getStatusCode() + ": "
                        + new String(body.readNBytes(500), StandardCharsets.UTF_8));
            }
            return JSON.readTree(body);
        } catch (IOException | RuntimeException e) {
            throw e instanceof BackendException b ? b : fail("GET " + path, e);
        }
    }

    private static Instant instant(String text) {
        try {
            return text == null ? Instant.now() : Instant.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            return Instant.now();
        }
    }

    private BackendException fail(String what, Exception e) {
        return new BackendException("swarm manager " + manager + ": " + what + " failed: " + e.getMessage(), e);
    }

    @Override
    public void close() {
        try {
            docker.close();
        } catch (IOException e) {
            // nothing held but connections
        }
    }
}
