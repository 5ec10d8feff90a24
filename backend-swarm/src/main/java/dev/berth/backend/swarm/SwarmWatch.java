// What the swarm runs, read every half second: the instances' tasks (their exits reported), the nodes' states, their logs.
package dev.berth.backend.swarm;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.Service;
import dev.berth.api.BackendException;
import dev.berth.api.Endpoint;
import dev.berth.api.ExitInfo;
import dev.berth.spi.Backend;
import dev.berth.spi.NodeStatus;
import dev.berth.spi.RunningInstance;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend's view of the swarm, refreshed every {@link SwarmBackend#POLL} on a thread of its
 * own: the nodes (and since when each is not ready), and the task each tracked instance runs as. A
 * tracked task that ended, or whose service went, without Berth asking is reported to the exit
 * listener once. Thread-safe.
 */
final class SwarmWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SwarmWatch.class);
    private final SwarmApi api;
    private final String managed;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "berth-swarm-watch");
        t.setDaemon(true);
        return t;
    });
    /** Each tracked instance's service and task ids. */
    private final Map<String, String[]> tracked = new ConcurrentHashMap<>();
    private final Set<String> stopping = ConcurrentHashMap.newKeySet();
    private final Map<String, Instant> downSince = new ConcurrentHashMap<>();
    private volatile List<SwarmApi.NodeView> nodes = List.of();
    private volatile List<NodeStatus> status = List.of();
    private volatile Backend.ExitListener listener = (id, handle, exit) -> { };
    /** How long a task may stay pending for want of a node before its start fails (Swarm keeps trying meanwhile). */
    static final Duration UNPLACEABLE = Duration.ofSeconds(15);
    private volatile TaskListing lastTasks = new TaskListing(System.nanoTime() - 1, List.of());

    /** The swarm's tasks as a poll read them, and when the read began ({@link System#nanoTime()}). */
    private record TaskListing(long readAt, List<SwarmApi.TaskView> tasks) {
    }

    private final boolean swarmSchedules;

    /**
     * @param swarmSchedules whether Swarm restarts and moves tasks: a tracked task that Swarm
     *                       retires (to replace it) is then an exit too, and no node liveness is
     *                       reported (the platform must not re-place what Swarm moves)
     */
    SwarmWatch(SwarmApi api, String managed, boolean swarmSchedules) {
        this.api = api;
        this.managed = managed;
        this.swarmSchedules = swarmSchedules;
    }

    /** Reads the nodes once (a manager that does not answer fails the build), then every poll. */
    void start() {
        nodes = api.nodes();
        timer.scheduleWithFixedDelay(this::pollSafely, 0, SwarmBackend.POLL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A node's id for the platform: its {@code berth.node} label, else its Swarm id. */
    static String berthId(SwarmApi.NodeView n) {
        return n.labels().getOrDefault(ServiceSpecs.NODE, n.id());
    }

    Optional<String> swarmId(String berthNode) {
        return nodes.stream().filter(n -> berthId(n).equals(berthNode)).map(SwarmApi.NodeView::id).findFirst();
    }

    /** The task the instance runs as, as the manager reports it now. */
    Optional<SwarmApi.TaskView> task(String instanceId) {
        Optional<String> handle = handleOf(instanceId);
        if (handle.isEmpty()) {
            return Optional.empty();
        }
        String[] t = tracked.get(instanceId);
        return t == null ? Optional.empty() : api.tasks(t[0]).stream().filter(v -> v.id().equals(handle.get())).findFirst();
    }

    /** The swarm's nodes as the last poll read them. */
    List<SwarmApi.NodeView> nodes() {
        return nodes;
    }

    /** The platform's id of the Swarm node {@code swarmNodeId}, or that id when the swarm no longer lists it. */
    String berthNodeOf(String swarmNodeId) {
        return nodes.stream().filter(n -> n.id().equals(swarmNodeId)).map(SwarmWatch::berthId).findFirst().orElse(swarmNodeId);
    }

    void onExit(Backend.ExitListener l) {
        this.listener = l;
    }

    void tracking(String instanceId, String serviceId, String taskId) {
        stopping.remove(instanceId);
        tracked.put(instanceId, new String[] {serviceId, taskId});
    }

    void untrack(String instanceId) {
        tracked.remove(instanceId);
    }

    /** Berth asked it to stop: its end is no exit to report. */
    void stopping(String instanceId) {
        stopping.add(instanceId);
    }

    Optional<String> handleOf(String instanceId) {
        String[] t = tracked.get(instanceId);
        return t == null ? Optional.empty() : Optional.of(t[1]);
    }

    void reportExit(String instanceId, String handle, ExitInfo exit) {
        listener.exited(instanceId, handle, exit);
    }

    /** This backend's service of instance {@code instanceId} (a fresh read), if it has one. */
    Optional<Service> service(String instanceId) {
        return api.services(Map.of(ServiceSpecs.MANAGED, managed, ServiceSpecs.INSTANCE, instanceId)).stream().findFirst();
    }

    /** The instance as service {@code s} runs it now (a fresh read of its tasks), if it has a running task. */
    Optional<RunningInstance> runningNow(Service s) {
        List<RunningInstance> out = new ArrayList<>();
        adopt(s, api.tasks(s.getId()), out);
        return out.stream().findFirst();
    }

    /** Every instance of this backend's services that runs now, tracked from now on. */
    List<RunningInstance> adoptAll() {
        nodes = api.nodes();
        List<SwarmApi.TaskView> tasks = api.tasks();
        List<RunningInstance> out = new ArrayList<>();
        for (Service s : api.services(Map.of(ServiceSpecs.MANAGED, managed))) {
            adopt(s, tasks, out);
        }
        return out;
    }

    /** Adds (and tracks) the running task of service {@code s} among {@code tasks}, if it has one. */
    private void adopt(Service s, List<SwarmApi.TaskView> tasks, List<RunningInstance> out) {
        Map<String, String> labels = s.getSpec().getLabels();
        String id = labels.get(ServiceSpecs.INSTANCE);
        if (id == null) {
            return;
        }
        Integer port = endpointPort(labels);
        for (SwarmApi.TaskView t : tasks) {
            if (t.serviceId().equals(s.getId()) && t.running() && !t.retired()
                    && (port == null || t.publishedPorts().containsKey(port))) {
                out.add(toInstance(id, labels.get(ServiceSpecs.APP), labels.get(ServiceSpecs.RELEASE), t, port));
                tracking(id, s.getId(), t.id());
            }
        }
    }

    /** The endpoint's container port a service's labels name, or null for none. */
    static Integer endpointPort(Map<String, String> labels) {
        String p = labels.get(ServiceSpecs.PORT);
        return p == null ? null : Integer.valueOf(p);
    }

    /**
     * The instance a running task is, on the task's node; its endpoint (when {@code port}, its
     * container port, is given) at that node's address.
     */
    RunningInstance toInstance(String id, String app, String release, SwarmApi.TaskView task, Integer port) {
        Endpoint ep = null;
        if (port != null) {
            String address = nodes.stream().filter(n -> n.id().equals(task.nodeId())).map(SwarmApi.NodeView::address)
                    .findFirst().orElseThrow(() -> new BackendException("task " + task.id() + " runs on node " + task.nodeId()
                            + ", which the swarm does not list"));
            Integer published = task.publishedPorts().get(port);
            if (published == null) {
                throw new BackendException("task " + task.id() + " publishes no port for container port " + port);
            }
            ep = new Endpoint(address, published);
        }
        return new RunningInstance(id, app, release, berthNodeOf(task.nodeId()), ep, task.id(), task.at());
    }

    /**
     * Waits until a task of {@code serviceId} runs with container port {@code port} (or null)
     * published; a task that fails throws with Swarm's word. When Swarm schedules, the tasks it
     * retires (the ones it replaces) are passed over: their successor is waited for.
     */
    SwarmApi.TaskView awaitRunning(String serviceId, Integer port, Duration timeout, String instanceId) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no task yet";
        long unplaceableSince = 0;
        while (System.nanoTime() < deadline) {
            List<SwarmApi.TaskView> tasks = api.serviceTasks(serviceId).orElseThrow(() -> new BackendException("instance "
                    + instanceId + ": its service " + serviceId + " was removed before its task ran"));
            for (SwarmApi.TaskView t : tasks) {
                if (swarmSchedules && t.retired()) {
                    continue;
                }
                if (t.running() && (port == null || t.publishedPorts().containsKey(port))) {
                    return t;
                }
                if (t.ended()) {
                    throw new BackendException("instance " + instanceId + ": its task " + t.state() + ": " + t.message());
                }
                last = t.state() + (t.message().isEmpty() ? "" : " (" + t.message() + ")");
                if ("pending".equals(t.state()) && t.message().contains("no suitable node")) {
                    unplaceableSince = unplaceableSince == 0 ? System.nanoTime() : unplaceableSince;
                    if (System.nanoTime() - unplaceableSince > UNPLACEABLE.toNanos()) {
                        throw new BackendException("instance " + instanceId + ": Swarm found no node for its task for "
                                + UNPLACEABLE.toSeconds() + " s: " + t.message());
                    }
                }
            }
            sleep(200);
        }
        throw new BackendException("instance " + instanceId + ": its task did not run within " + timeout.toSeconds() + " s; "
                + "last: " + last);
    }

    /** The id of this backend's service of instance {@code instanceId}, if there is one. */
    Optional<String> serviceId(String instanceId) {
        return service(instanceId).map(Service::getId);
    }

    /** Waits until no task of service {@code serviceId} (removed) runs or stops any more. */
    void awaitGone(String serviceId, Duration timeout) {
        long since = System.nanoTime();
        long deadline = since + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            // A removed service's tasks are no longer found by its id (404), but are listed until they have stopped:
            // then the watch's next full listing (one for every stop in progress) tells.
            Optional<List<SwarmApi.TaskView>> own = api.serviceTasks(serviceId);
            TaskListing listing = lastTasks;
            if (own.isPresent() ? own.get().stream().allMatch(SwarmApi.TaskView::ended)
                    : listing.readAt() - since > 0 && listing.tasks().stream()
                            .noneMatch(t -> t.serviceId().equals(serviceId) && !t.ended())) {
                return;
            }
            sleep(own.isPresent() ? 200 : 100);
        }
        LOG.warn("swarm: a task of service {} still ran {} s after the service's removal", serviceId, timeout.toSeconds());
    }

    List<NodeStatus> nodeStatus() {
        return swarmSchedules ? List.of() : status;
    }

    /** Follows the service's log from now on, a line at a time; closing stops it. */
    AutoCloseable follow(String service, Consumer<String> consumer) {
        StringBuilder partial = new StringBuilder();
        ResultCallback.Adapter<Frame> cb = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Frame frame) {
                partial.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                for (int nl; (nl = partial.indexOf("\n")) >= 0; ) {
                    consumer.accept(partial.substring(0, nl));
                    partial.delete(0, nl + 1);
                }
            }
        };
        return api.docker.logServiceCmd(service).withFollow(true).withTail(0).withStdout(true).withStderr(true).exec(cb);
    }

    private void pollSafely() {
        try {
            poll();
        } catch (RuntimeException e) {
            LOG.debug("swarm: reading tasks and nodes failed: {}", e.getMessage());
        }
    }

    private void poll() {
        Instant at = Instant.now();
        List<SwarmApi.NodeView> ns = api.nodes();
        long readAt = System.nanoTime();
        List<SwarmApi.TaskView> tasks = api.tasks();
        lastTasks = new TaskListing(readAt, tasks);
        Map<String, Map<String, String>> labelsOf = new java.util.HashMap<>();
        for (Service s : api.services(Map.of(ServiceSpecs.MANAGED, managed))) {
            labelsOf.put(s.getId(), s.getSpec().getLabels());
        }
        Map<String, SwarmApi.TaskView> byId = new java.util.HashMap<>();
        tasks.forEach(t -> byId.put(t.id(), t));
        for (Map.Entry<String, String[]> e : tracked.entrySet()) {
            String id = e.getKey();
            SwarmApi.TaskView t = byId.get(e.getValue()[1]);
            boolean replaced = swarmSchedules && t != null && !t.ended() && t.retired(); // Swarm moves or restarts it
            if (stopping.contains(id) || (t != null && !t.ended() && !replaced)) {
                continue;
            }
            if (tracked.remove(id, e.getValue())) {
                int code = t == null || t.exitCode() == null ? ExitInfo.UNKNOWN : t.exitCode();
                String why = t == null ? "its service is gone"
                        : replaced ? "Swarm retires task " + t.id() + " (desired state " + t.desiredState() + "; it was " + t.state()
                                + " on node " + berthNodeOf(t.nodeId()) + ")"
                        : "task " + t.state() + (t.message().isEmpty() ? "" : ": " + t.message());
                LOG.warn("swarm: instance {} ended: {}", id, why);
                listener.exited(id, e.getValue()[1], new ExitInfo(code, at, why));
            }
        }
        List<NodeStatus> out = new ArrayList<>();
        for (SwarmApi.NodeView n : ns) {
            List<RunningInstance> there = new ArrayList<>();
            for (SwarmApi.TaskView t : tasks) {
                Map<String, String> l = labelsOf.get(t.serviceId());
                if (l != null && t.running() && n.id().equals(t.nodeId())) {
                    Integer port = endpointPort(l);
                    Integer published = port == null ? null : t.publishedPorts().get(port);
                    Endpoint ep = published == null ? null : new Endpoint(n.address(), published);
                    there.add(new RunningInstance(l.get(ServiceSpecs.INSTANCE), l.get(ServiceSpecs.APP), l.get(ServiceSpecs.RELEASE),
                            berthId(n), ep, t.id(), t.at()));
                }
            }
            Instant contact = at;
            String error = null;
            if (n.ready()) {
                downSince.remove(n.id());
            } else {
                contact = downSince.computeIfAbsent(n.id(), k -> at);
                error = "swarm node " + n.state() + (n.message().isEmpty() ? "" : ": " + n.message());
            }
            out.add(new NodeStatus(berthId(n), contact, error, there));
        }
        nodes = ns;
        status = List.copyOf(out);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException("interrupted while waiting for the swarm", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
