// An in-memory backend for the loop's unit tests: starts, stops, crashes, cut-off nodes and real listening ports.
package dev.berth.core.internal.reconcile;

import dev.berth.api.AppSpec;
import dev.berth.spi.Backend;
import dev.berth.api.BackendException;
import dev.berth.api.Endpoint;
import dev.berth.api.ExecResult;
import dev.berth.api.ExitInfo;
import dev.berth.spi.InstanceConsole;
import dev.berth.spi.LaunchRequest;
import dev.berth.spi.NodeStatus;
import dev.berth.spi.RunningInstance;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An in-memory backend for unit tests of the control loop: "processes" are map entries; an
 * instance of an app with a PORT holds a real socket on 127.0.0.1 (listening, or only reserved
 * while {@link #listenLate} is set) so that readiness probes have something real to connect to.
 */
final class FakeBackend implements Backend {
    /** The time its reports and exits carry: a test on a manual clock sets that clock here. */
    volatile java.time.Clock clock = java.time.Clock.systemUTC();
    final Map<String, RunningInstance> running = new ConcurrentHashMap<>();
    final List<String> starts = new CopyOnWriteArrayList<>();
    /** When each start call came in (System.nanoTime), in the order of {@link #starts}. */
    final List<Long> startNanos = new CopyOnWriteArrayList<>();
    /** While set, instances started with a PORT do not listen on it until {@link #listen} (connects are refused). */
    volatile boolean listenLate;
    private final Map<String, Ports.Port> ports = new ConcurrentHashMap<>();
    final List<String> stops = new CopyOnWriteArrayList<>();
    private final AtomicInteger handles = new AtomicInteger(1000);
    private volatile ExitListener listener = (id, handle, exit) -> { };
    /** Starts of apps whose env has {@code BROKEN=yes} fail, like a setup or command that fails. */
    static final String BROKEN = "BROKEN";
    /** Instances of apps whose env has {@code CRASH=yes} exit 5 ms after each start, like a crash-looping app. */
    static final String CRASH = "CRASH";
    /** Runs the exits of {@link #CRASH} apps 5 ms on: a test on stepped threads gives a timer of its loop's clock. */
    volatile java.util.concurrent.Executor crashLater =
            CompletableFuture.delayedExecutor(5, java.util.concurrent.TimeUnit.MILLISECONDS);

    @Override
    public String name() {
        return "fake";
    }

    /** Nodes that report liveness, as a networked backend's would; empty: no node liveness at all. */
    final Set<String> reporting = ConcurrentHashMap.newKeySet();
    /** Reporting nodes cut off (alive, unreachable) since when: their "processes" keep running. */
    final Map<String, Instant> cutOff = new ConcurrentHashMap<>();

    /** When set, what nodeStatus() returns: a report taken earlier, as a slow heartbeat's would be. */
    volatile List<NodeStatus> frozen;

    @Override
    public List<NodeStatus> nodeStatus() {
        List<NodeStatus> snapshot = frozen;
        if (snapshot != null) {
            return snapshot;
        }
        List<NodeStatus> out = new ArrayList<>();
        for (String node : reporting) {
            Instant since = cutOff.get(node);
            List<RunningInstance> there = running.values().stream().filter(ri -> ri.node().equals(node)).toList();
            out.add(since == null ? new NodeStatus(node, clock.instant(), null, there)
                    : new NodeStatus(node, since, "connect timed out", List.of()));
        }
        return out;
    }

    /** When set, where a start actually runs, from the node asked for: a backend whose engine places (a Swarm that schedules). */
    volatile java.util.function.UnaryOperator<String> placesOn;
    /** The node each start asked for, by instance id (the last ask). */
    final Map<String, String> asked = new ConcurrentHashMap<>();

    @Override
    public RunningInstance start(LaunchRequest r) {
        startNanos.add(System.nanoTime());
        asked.put(r.instanceId(), r.node());
        if (cutOff.containsKey(r.node())) {
            throw new BackendException("node " + r.node() + " is unreachable: connect timed out");
        }
        RunningInstance existing = running.get(r.instanceId());
        if (existing != null) {
            return existing;
        }
        if ("yes".equals(r.app().env().get(BROKEN))) {
            throw new BackendException("setup failed: exit 1 (release " + r.release() + ")");
        }
        starts.add(r.instanceId());
        Endpoint ep = null;
        if (r.app().env().containsKey(AppSpec.PORT)) {
            Ports.Port port = Ports.open(!listenLate);
            ports.put(r.instanceId(), port);
            ep = new Endpoint("127.0.0.1", port.number());
        }
        java.util.function.UnaryOperator<String> engine = placesOn;
        RunningInstance ri = new RunningInstance(r.instanceId(), r.app().name(), r.release(),
                engine == null ? r.node() : engine.apply(r.node()), ep, Integer.toString(handles.incrementAndGet()), clock.instant());
        running.put(r.instanceId(), ri);
        if ("yes".equals(r.app().env().get(CRASH))) {
            crashLater.execute(() -> crashIfCurrent(ri, 1));
        }
        return ri;
    }

    @Override
    public void stop(String instanceId, Duration grace) {
        RunningInstance ri = running.get(instanceId);
        if (ri != null && cutOff.containsKey(ri.node())) {
            throw new BackendException("node " + ri.node() + " is unreachable: connect timed out");
        }
        if (running.remove(instanceId) != null) {
            stops.add(instanceId);
            release(instanceId);
        }
    }

    /** The instance's "process" starts listening on its endpoint now. */
    void listen(String instanceId) {
        ports.get(instanceId).listen();
    }

    /** Whether the instance's "process" listens on its endpoint. */
    boolean listening(String instanceId) {
        Ports.Port p = ports.get(instanceId);
        return p != null && p.listening();
    }

    private void release(String instanceId) {
        Ports.Port p = ports.remove(instanceId);
        if (p != null) {
            p.close();
        }
    }

    @Override
    public void kill(String instanceId) {
        crash(instanceId, 137);
    }

    /** The "process" dies on its own. */
    void crash(String instanceId, int code) {
        RunningInstance gone = running.remove(instanceId);
        if (gone != null) {
            release(instanceId);
            listener.exited(instanceId, gone.handle(), new ExitInfo(code, clock.instant(), "exited with " + code));
        }
    }

    /** Crashes {@code ri} unless another process of its id runs by now. */
    private void crashIfCurrent(RunningInstance ri, int code) {
        if (running.remove(ri.instanceId(), ri)) {
            release(ri.instanceId());
            listener.exited(ri.instanceId(), ri.handle(), new ExitInfo(code, clock.instant(), "exited with " + code));
        }
    }

    /** An exit report for a process that is not the current one (a late report). */
    void staleExit(String instanceId, String oldHandle) {
        listener.exited(instanceId, oldHandle, new ExitInfo(1, clock.instant(), "exited with 1"));
    }

    /** Something left running by an earlier platform. */
    void leftRunning(String id, String app, String release, String node) {
        running.put(id, new RunningInstance(id, app, release, node, null, Integer.toString(handles.incrementAndGet()),
                clock.instant()));
    }

    @Override
    public List<RunningInstance> list() {
        return new ArrayList<>(running.values());
    }

    @Override
    public void onExit(ExitListener l) {
        this.listener = l;
    }

    @Override
    public InstanceConsole console() {
        return new InstanceConsole() {
            @Override
            public List<String> logs(String instanceId, int lines) {
                return List.of();
            }

            @Override
            public AutoCloseable follow(String instanceId, Consumer<String> consumer) {
                return () -> { };
            }

            @Override
            public ExecResult exec(String instanceId, List<String> argv, Duration timeout) {
                return new ExecResult(0, "");
            }
        };
    }

    @Override
    public void close() {
        List.copyOf(ports.keySet()).forEach(this::release);
    }
}
