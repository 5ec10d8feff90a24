// SimBackend: the public in-memory Backend whose starts and stops cost nothing, and its builder.
package dev.berth.testkit;

import dev.berth.spi.Backend;
import dev.berth.api.BackendException;
import dev.berth.api.Endpoint;
import dev.berth.spi.InstanceConsole;
import dev.berth.api.InvalidSpecException;
import dev.berth.spi.LaunchRequest;
import dev.berth.spi.NodeStatus;
import dev.berth.spi.RunningInstance;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Backend} whose instances are entries in memory: starting or stopping one costs a map
 * update, with no process, thread or socket per instance. It keeps the whole SPI contract as the
 * real backends do, so the platform cannot tell it from them:
 *
 * <ul>
 *   <li>idempotent by instance id: starting an id that runs returns it unchanged, stopping an
 *       unknown id succeeds; {@link #list()} finds what runs (on nodes that answer), so a new
 *       platform adopts it;</li>
 *   <li>exits the platform did not ask for ({@link #kill(String)}, {@link #kill(String, int)}) go to
 *       the {@link #onExit} listener on the exit executor, with the handle of the ended "process";
 *       stops report nothing;</li>
 *   <li>env values {@code RANDOM_PORT} become fake ports (unique per node, from 20000); an app with
 *       {@code PORT} gets an endpoint on {@link Builder#endpointHost} that nothing listens on, so the
 *       platform's readiness check of it never passes: give simulated apps no {@code PORT} unless a
 *       test wants instances that never get ready;</li>
 *   <li>node liveness as a networked backend reports it ({@link #nodeStatus()}): a node answers
 *       "now" and lists what it runs, until {@link #setNodeAlive setNodeAlive(node, false)}; then it
 *       keeps its last answer, calls that must reach it fail with a {@link BackendException}, and the
 *       platform finds its instances lost after its {@code nodeDownAfter}. Switched back on, the
 *       node lists what still runs there (the platform stops what it placed elsewhere meanwhile)
 *       and reports the crashes it had while silent.</li>
 * </ul>
 *
 * <pre>{@code
 * SimBackend sim = SimBackend.builder().nodes(List.of("n1", "n2")).build();
 * Platform p = Platform.builder().cluster(n1, n2).backend(sim).stateDir(dir).build();
 * sim.setNodeAlive("n1", false);   // its instances are lost, then started on n2
 * }</pre>
 *
 * <p>The simulated nodes outlive this object, as real hosts outlive a JVM: {@link #reopen()} opens
 * another backend over them. Thread-safe.
 */
public final class SimBackend implements Backend {
    /** What a node id must match: 1-63 of A-Z a-z 0-9 . _ -, starting with a letter or digit. */
    static final String NODE_ID = "[A-Za-z0-9][A-Za-z0-9._-]{0,62}";
    private static final Logger LOG = LoggerFactory.getLogger(SimBackend.class);

    private final SimWorld world;
    private final String name;
    /** The executor exits are reported on: the injected one, or {@link #ownExits}. */
    private final Executor exits;
    /** The injected exit executor, or null; a reopened backend gets it too. */
    private final Executor injected;
    /** The one thread this backend owns, when no executor was injected; null otherwise. */
    private final ExecutorService ownExits;
    private final SimConsole console;
    private volatile ExitListener listener = (id, handle, exit) -> { };
    private volatile boolean closed;

    private SimBackend(SimWorld world, String name, Executor injected) {
        this.world = world;
        this.name = name;
        this.injected = injected;
        if (injected == null) {
            ownExits = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "berth-sim-exits");
                t.setDaemon(true);
                return t;
            });
            exits = ownExits;
        } else {
            ownExits = null;
            exits = injected;
        }
        this.console = new SimConsole(world, world.output());
        world.attach(this);
    }

    /** A builder with no declared node (any node id is accepted and created on first use). */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Another backend over the same simulated nodes and instances, as a restarted host application
     * would build: its {@link #list()} finds what this one started. Works after {@link #close()}.
     */
    public SimBackend reopen() {
        return new SimBackend(world, name, injected);
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Starts the instance at once, or returns it unchanged when its id runs already.
     *
     * @throws BackendException when its node does not answer or is not one of the declared nodes
     */
    @Override
    public RunningInstance start(LaunchRequest request) {
        Objects.requireNonNull(request, "request");
        ensureOpen();
        return world.start(request);
    }

    /**
     * Stops the instance at once (no exit is reported); an unknown id is a no-op.
     *
     * @throws BackendException when its node does not answer
     */
    @Override
    public void stop(String instanceId, Duration grace) {
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(grace, "grace");
        ensureOpen();
        world.stop(instanceId);
    }

    /**
     * Kills the instance as SIGKILL would (exit code 137), reported to the exit listener like a
     * crash; an unknown id is a no-op.
     *
     * @throws BackendException when its node does not answer
     */
    @Override
    public void kill(String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId");
        ensureOpen();
        world.requireReachable(instanceId);
        report(world.crash(instanceId, 137, "killed by Berth with SIGKILL"));
    }

    /**
     * Simulates a crash: the instance ends on its own with {@code exitCode} (0-255, or
     * {@link dev.berth.api.ExitInfo#UNKNOWN}), reported to the exit listener of every open backend
     * over these nodes; on a node that does not answer, only once it answers again. An unknown id
     * is a no-op.
     */
    public void kill(String instanceId, int exitCode) {
        Objects.requireNonNull(instanceId, "instanceId");
        if (exitCode < -1 || exitCode > 255) {
            throw new IllegalArgumentException("exitCode " + exitCode + " is not allowed: must be 0-255, or -1 (unknown)");
        }
        report(world.crash(instanceId, exitCode, exitCode == -1 ? "exited (status unknown)" : "exited with " + exitCode));
    }

    /**
     * Switches a node's answers off (it keeps its instances, unreachable, as a host cut off from the
     * network does) or back on. Switching off a node the builder did not declare is an error unless
     * none was declared.
     */
    public void setNodeAlive(String node, boolean alive) {
        Objects.requireNonNull(node, "node");
        List<SimWorld.Exit> due = world.setAlive(node, alive);
        LOG.info("node '{}' {}", node, alive ? "answers again" : "stops answering (simulated)");
        world.report(due);
    }

    /** Whether the node answers (an unknown node does: it has never been switched off). */
    public boolean nodeAlive(String node) {
        return world.alive(Objects.requireNonNull(node, "node"));
    }

    /** Adds a line to the instance's output, as if it printed it: {@code logs} returns it, followers get it now. */
    public void print(String instanceId, String line) {
        world.output().print(Objects.requireNonNull(instanceId, "instanceId"), Objects.requireNonNull(line, "line"));
    }

    /** The instances on a node now, whether it answers or not. */
    public List<RunningInstance> runningOn(String node) {
        return world.on(Objects.requireNonNull(node, "node"));
    }

    /** How many instances were started (calls that found the id running not counted), by any backend over these nodes. */
    public long startCount() {
        return world.starts();
    }

    /** How many instances were stopped on purpose, by any backend over these nodes. */
    public long stopCount() {
        return world.stops();
    }

    /** Every instance on the nodes that answer; those on silent nodes are missing, not stopped. */
    @Override
    public List<RunningInstance> list() {
        ensureOpen();
        return world.list();
    }

    @Override
    public void onExit(ExitListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Each node's status as of now, without waiting: one per declared node (or per node used so far
     * when none was declared); empty when the builder switched node liveness off.
     */
    @Override
    public List<NodeStatus> nodeStatus() {
        return world.nodeStatus();
    }

    @Override
    public InstanceConsole console() {
        return console;
    }

    /** Stops reporting exits and releases this backend's thread; the simulated instances keep running. */
    @Override
    public void close() {
        closed = true;
        world.detach(this);
        if (ownExits != null) {
            ownExits.shutdown();
        }
    }

    @Override
    public String toString() {
        return "SimBackend[" + name + "]";
    }

    /** Hands exits to this backend's listener on its exit executor, unless it is closed. */
    void deliver(List<SimWorld.Exit> due) {
        if (closed) {
            return;
        }
        try {
            exits.execute(() -> due.forEach(this::tell));
        } catch (RejectedExecutionException e) {
            LOG.debug("{}: {} exit(s) not reported: closing", this, due.size());
        }
    }

    private void tell(SimWorld.Exit e) {
        if (closed) {
            return;
        }
        try {
            listener.exited(e.instanceId(), e.handle(), e.exit());
        } catch (RuntimeException ex) {
            LOG.warn("{}: the exit listener failed for instance '{}': {}", this, e.instanceId(), ex.toString(), ex);
        }
    }

    private void report(SimWorld.Exit exit) {
        if (exit != null) {
            world.report(List.of(exit));
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new BackendException(this + " is closed");
        }
    }

    /**
     * Builds a {@link SimBackend}; each setter checks its value at once. Not thread-safe: one
     * thread builds.
     */
    public static final class Builder {
        private final List<String> nodes = new ArrayList<>();
        private Clock clock = Clock.systemUTC();
        private Executor exitExecutor;
        private String endpointHost = "127.0.0.1";
        private boolean nodeLiveness = true;
        private String name = "sim";

        private Builder() {
        }

        /**
         * Declares a node: once any is declared, only declared nodes run instances and report
         * liveness, each from the start. Without any, every node id is accepted and reports from
         * its first use.
         */
        public Builder node(String id) {
            if (id == null || !id.matches(NODE_ID)) {
                throw new IllegalArgumentException("node: '" + id + "' is not allowed; must be 1-63 of A-Z a-z 0-9 . _ -, "
                        + "starting with a letter or digit");
            }
            if (nodes.contains(id)) {
                throw new IllegalArgumentException("node: '" + id + "' is declared twice; node ids must be unique");
            }
            nodes.add(id);
            return this;
        }

        /** Declares these nodes, in order (see {@link #node}). */
        public Builder nodes(Collection<String> ids) {
            Objects.requireNonNull(ids, "nodes").forEach(this::node);
            return this;
        }

        /** The clock of start times, exit times and node contacts; the platform's own (default UTC system clock). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Where exits are reported to the listener (e.g. {@code Runnable::run} for tests that step
         * everything on one thread); default one daemon thread owned by each backend object.
         */
        public Builder exitExecutor(Executor executor) {
            this.exitExecutor = Objects.requireNonNull(executor, "exitExecutor");
            return this;
        }

        /** The host of instances' endpoints (default 127.0.0.1); nothing listens there. */
        public Builder endpointHost(String host) {
            try {
                new Endpoint(host, 1);
            } catch (InvalidSpecException e) {
                throw new IllegalArgumentException("endpointHost: '" + host + "' is not allowed; must be an IP address "
                        + "or host name", e);
            }
            this.endpointHost = host;
            return this;
        }

        /**
         * Whether nodes report liveness (default {@code true}, as SSH hosts do); {@code false}
         * makes {@link SimBackend#nodeStatus()} empty, as a local backend's is, and the platform
         * then watches no node.
         */
        public Builder nodeLiveness(boolean reports) {
            this.nodeLiveness = reports;
            return this;
        }

        /** The backend's name in logs (default {@code sim}); 1-32 of a-z 0-9 -. */
        public Builder name(String name) {
            if (name == null || !name.matches("[a-z0-9][a-z0-9-]{0,31}")) {
                throw new IllegalArgumentException("name: '" + name + "' is not allowed; must be 1-32 of a-z 0-9 -");
            }
            this.name = name;
            return this;
        }

        /** A backend over new simulated nodes with nothing running. */
        public SimBackend build() {
            return new SimBackend(new SimWorld(clock, nodes, nodeLiveness, endpointHost), name, exitExecutor);
        }
    }
}
