// A Backend on a Docker Swarm: each instance one single-replica service, placed by Swarm or pinned by Berth; tasks watched.
package dev.berth.backend.swarm;

import com.github.dockerjava.api.model.Service;
import dev.berth.api.BackendException;
import dev.berth.api.ExecResult;
import dev.berth.api.ExitInfo;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.spi.Backend;
import dev.berth.spi.InstanceConsole;
import dev.berth.spi.LaunchRequest;
import dev.berth.spi.NodeStatus;
import dev.berth.spi.RunningInstance;
import dev.berth.spi.Terminal;
import dev.berth.support.IdLocks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Berth's instances as Docker Swarm services, through one manager's Engine API: each
 * instance a service of one replica. By default Swarm schedules: it places the task (within the
 * app's node labels, {@code uniqueHost} and {@code maxPerNode}, as {@link SwarmPlacement} says),
 * restarts it and moves it off a node that goes down, and the platform follows (the node a task
 * runs on is the instance's; a replaced task is its instance respawned; no node liveness is
 * reported). With {@link Builder#swarmSchedules(boolean) swarmSchedules(false)} Berth places: the
 * service is pinned to the node Berth chose ({@code node.id==...}), Swarm restarts nothing, and
 * the swarm's node states, read every {@link #POLL}, are the liveness {@link #nodeStatus()}
 * reports. Either way Berth names, gates, routes and rolls out. Ports are published in host mode on
 * the node ({@link ServiceSpecs}), so a router reaches each task at its node's address. The swarm's
 * nodes are the platform's nodes ({@link #nodes()}: a node's {@code berth.node} label, or its Swarm
 * id). Labels on each service name its app, release and instance, so a restarted platform adopts
 * them ({@link #list()}). Apps run an image ({@code source.image}, on the nodes or in a registry
 * they reach), or a directory or git push with a Dockerfile, built on the manager and loaded into
 * each node's own Engine API ({@link SwarmImages}). Logs come through the manager; {@code exec},
 * terminals and image loads through the node's own Engine API, when {@link Builder#engine} gives
 * it. Thread-safe.
 */
public final class SwarmBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(SwarmBackend.class);
    /** How often tasks and nodes are read. */
    static final Duration POLL = Duration.ofMillis(500);
    /** How long a start waits for its task to run. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,19}");
    private final SwarmApi api;
    private final String name;
    private final SwarmWatch watch;
    private final Map<String, SwarmApi> engines = new java.util.LinkedHashMap<>();
    private final SwarmExec exec;
    private final SwarmImages images;
    private final Duration stopGrace;
    private final boolean swarmSchedules;
    private final IdLocks appLocks = new IdLocks();

    private SwarmBackend(Builder b) {
        this.api = new SwarmApi(b.manager);
        this.name = b.name;
        this.stopGrace = b.stopGrace;
        b.engines.forEach((node, url) -> engines.put(node, new SwarmApi(url)));
        this.exec = new SwarmExec(engines);
        this.images = new SwarmImages(api, engines);
        this.swarmSchedules = b.swarmSchedules;
        this.watch = new SwarmWatch(api, name, swarmSchedules);
        try {
            watch.start();
        } catch (RuntimeException e) {
            api.close();
            throw e;
        }
    }

    /** A builder: the manager's API address is required. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "swarm";
    }

    /** The swarm's nodes as the platform's: id ({@code berth.node} label or Swarm id), cpu, memory, labels. */
    public List<NodeSpec> nodes() {
        List<NodeSpec> out = new ArrayList<>();
        for (SwarmApi.NodeView n : api.nodes()) {
            Resources capacity = Resources.builder().cpu(n.cpu()).memoryMb(Math.floor(n.memoryMb())).build();
            out.add(new NodeSpec(SwarmWatch.berthId(n), capacity, n.labels()));
        }
        return out;
    }

    @Override
    public RunningInstance start(LaunchRequest r) {
        Optional<Service> service = watch.service(r.instanceId());
        Optional<RunningInstance> running = service.flatMap(watch::runningNow);
        if (running.isPresent()) {
            return running.get(); // idempotent: it runs
        }
        boolean swarmPlaces = swarmSchedules && !r.app().instances().all(); // else pinned to Berth's node
        String swarmNode = swarmPlaces ? null : watch.swarmId(r.node()).orElseThrow(() -> new BackendException("instance "
                + r.instanceId() + ": node '" + r.node() + "' is not a node of the swarm at " + api.manager));
        Integer port = ServiceSpecs.endpointPort(r.app());
        Optional<String> existing = service.map(Service::getId);
        String serviceId;
        SwarmApi.TaskView task;
        if (swarmSchedules && existing.isPresent()) { // Swarm restarts or moves its task: the new one is waited for
            serviceId = existing.get();
            task = watch.awaitRunning(serviceId, port, START_TIMEOUT, r.instanceId());
        } else {
            if (existing.isPresent()) { // an ended task of an earlier start: its service goes, a new one comes
                api.remove(existing.get());
                watch.awaitGone(existing.get(), START_TIMEOUT);
            }
            String image = swarmPlaces ? images.imageForEveryNode(r.app(), r.release(), watch.nodes())
                    : images.imageFor(r.app(), r.release(), r.node(), swarmNode);
            boolean limited = swarmPlaces && SwarmPlacement.limited(r.app());
            // a limited app's services are created one after another, each placed before the next reads the nodes
            try (IdLocks.Held one = limited ? appLocks.lock(r.app().name()) : null) {
                // pinned to Berth's node unless Swarm places; an app on every node ("*") stays where Berth put it
                List<String> constraints = swarmPlaces
                        ? SwarmPlacement.constraints(r.app(), limited ? SwarmPlacement.tasksPerNode(api, name, r.app().name(), r.release()) : Map.of())
                        : List.of("node.id==" + swarmNode);
                serviceId = api.create(ServiceSpecs.of(r, image, name, constraints, stopGrace, swarmSchedules));
                task = watch.awaitRunning(serviceId, port, START_TIMEOUT, r.instanceId());
            }
        }
        RunningInstance ri = watch.toInstance(r.instanceId(), r.app().name(), r.release(), task, port);
        watch.tracking(r.instanceId(), serviceId, task.id());
        LOG.info("swarm: instance {} of app {} runs as task {} of service {} on node {} ({})", r.instanceId(), r.app().name(),
                task.id(), ServiceSpecs.name(name, r.instanceId()), ri.node(), ri.endpoint());
        return ri;
    }

    @Override
    public void onBuildOutput(BuildListener listener) {
        images.onBuildOutput(listener);
    }

    /** How many images were copied to a node by {@code docker save | docker load}. */
    int imageLoads() {
        return images.loads();
    }

    @Override
    public void stop(String instanceId, Duration grace) {
        watch.stopping(instanceId);
        try {
            Optional<String> id = watch.serviceId(instanceId);
            if (id.isPresent()) {
                api.remove(id.get());
                watch.awaitGone(id.get(), grace.plus(stopGrace).plusSeconds(10));
            }
        } finally {
            watch.untrack(instanceId);
        }
    }

    /**
     * Kills an instance: its service is removed at once (the manager has no kill; the container gets
     * its stop signal and the builder's {@code stopGrace}), and its exit is reported as a SIGKILL's.
     */
    @Override
    public void kill(String instanceId) {
        Optional<String> handle = watch.handleOf(instanceId);
        watch.stopping(instanceId);
        try {
            api.remove(ServiceSpecs.name(name, instanceId));
        } finally {
            watch.untrack(instanceId);
        }
        handle.ifPresent(h -> watch.reportExit(instanceId, h, new ExitInfo(137, java.time.Instant.now(), "killed (service removed)")));
    }

    @Override
    public List<RunningInstance> list() {
        return watch.adoptAll();
    }

    @Override
    public void onExit(ExitListener listener) {
        watch.onExit(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public List<NodeStatus> nodeStatus() {
        return watch.nodeStatus();
    }

    @Override
    public InstanceConsole console() {
        return new InstanceConsole() {
            @Override
            public List<String> logs(String instanceId, int lines) {
                return api.logs(ServiceSpecs.name(name, instanceId), lines);
            }

            @Override
            public AutoCloseable follow(String instanceId, Consumer<String> consumer) {
                return watch.follow(ServiceSpecs.name(name, instanceId), consumer);
            }

            @Override
            public ExecResult exec(String instanceId, List<String> argv, Duration timeout) {
                SwarmApi.TaskView task = runningTask(instanceId);
                return exec.exec(instanceId, watch.berthNodeOf(task.nodeId()), task.containerId(), argv, timeout);
            }

            @Override
            public Terminal terminal(String instanceId, List<String> argv, int cols, int rows) {
                SwarmApi.TaskView task = runningTask(instanceId);
                return exec.terminal(instanceId, watch.berthNodeOf(task.nodeId()), task.containerId(), argv, cols, rows);
            }

            @Override
            public Map<String, String> describe(String instanceId) {
                return Map.of("service", ServiceSpecs.name(name, instanceId), "task", watch.handleOf(instanceId).orElse(""),
                        "manager", api.manager);
            }
        };
    }

    private SwarmApi.TaskView runningTask(String instanceId) {
        return watch.task(instanceId).filter(SwarmApi.TaskView::running)
                .orElseThrow(() -> new BackendException("instance '" + instanceId + "' does not run on the swarm"));
    }

    @Override
    public void close() {
        exec.close();
        watch.close();
        api.close();
        engines.values().forEach(SwarmApi::close);
    }

    /** Builds a {@link SwarmBackend}. */
    public static final class Builder {
        private String manager;
        private String name = "berth";
        private Duration stopGrace = ServiceSpecs.GRACE;
        private boolean swarmSchedules = true;
        private final Map<String, String> engines = new java.util.LinkedHashMap<>();

        private Builder() {
        }

        /**
         * The Engine API of node {@code node} (its platform id: {@code berth.node} label or Swarm
         * id), for {@code exec} in the containers that run there (a swarm manager has no exec) and to
         * load images built on the manager.
         */
        public Builder engine(String node, String url) {
            if (url == null || !(url.startsWith("unix:///") || url.startsWith("tcp://"))) {
                throw new IllegalArgumentException("engine of node " + node + ": '" + url + "' is not allowed: unix:///PATH or "
                        + "tcp://HOST:PORT");
            }
            engines.put(Objects.requireNonNull(node, "node"), url);
            return this;
        }

        /** A swarm manager's Engine API: {@code unix:///var/run/docker.sock} or {@code tcp://HOST:2375}. */
        public Builder manager(String manager) {
            if (manager == null || !(manager.startsWith("unix:///") || manager.startsWith("tcp://"))) {
                throw new IllegalArgumentException("swarm manager '" + manager + "' is not allowed: unix:///PATH or tcp://HOST:PORT");
            }
            this.manager = manager;
            return this;
        }

        /**
         * The name of this platform's services ({@code NAME-INSTANCE}) and the value of their
         * {@code berth.managed} label, so that two platforms can share a swarm (default {@code berth}).
         */
        public Builder name(String name) {
            if (name == null || !NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("swarm backend name '" + name + "' is not allowed: 1-20 of a-z 0-9 -, "
                        + "starting with a letter");
            }
            this.name = name;
            return this;
        }

        /**
         * How long a task's container gets between its stop signal and SIGKILL when its service is
         * removed (Swarm's stop grace period, fixed when the service is created): give it the
         * platform's {@code stopGrace} (both default to 10 s); 0 to 10 minutes.
         */
        public Builder stopGrace(Duration grace) {
            if (grace == null || grace.isNegative() || grace.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("swarm stopGrace " + grace + " is not allowed: 0 to 10 minutes");
            }
            this.stopGrace = grace;
            return this;
        }

        /**
         * Who schedules. {@code true} (the default): Swarm places each instance's task (the app's
         * node labels, {@code uniqueHost} and {@code maxPerNode} become placement constraints;
         * Berth's choice of node is not pinned), restarts it when it ends (condition any) and moves
         * it off a node that goes down; the platform records the node Swarm chose, takes a
         * restarted or moved task as its instance respawned, and watches no node liveness of its
         * own ({@link #nodeStatus()} is empty). Images built by Berth are loaded into every node
         * first. Berth still names the instances, gates them by readiness, routes them and rolls
         * releases out (a new instance's service first, the old one drained, then removed), so
         * rollouts lose no request. An app on every node (instances {@code "*"}) keeps one task
         * pinned to each node Berth gives it; Swarm restarts it there. {@code false}: Berth
         * places (each service pinned to its node), respawns and re-places off down nodes, and
         * Swarm only runs the tasks.
         */
        public Builder swarmSchedules(boolean swarmSchedules) {
            this.swarmSchedules = swarmSchedules;
            return this;
        }

        public SwarmBackend build() {
            if (manager == null) {
                throw new IllegalStateException("swarm backend: set manager(...)");
            }
            return new SwarmBackend(this);
        }
    }
}
