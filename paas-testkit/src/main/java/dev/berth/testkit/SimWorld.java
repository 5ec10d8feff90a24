// The simulated nodes and the instances on them, shared by every SimBackend opened over them.
package dev.berth.testkit;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.api.Endpoint;
import dev.berth.api.ExitInfo;
import dev.berth.spi.LaunchRequest;
import dev.berth.spi.NodeStatus;
import dev.berth.spi.RunningInstance;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The "machines" of a {@link SimBackend}: which nodes exist and answer, and which instances run
 * on each. Every operation is O(1) in the number of instances except the listings. It outlives the
 * backend objects opened over it, as real hosts outlive a JVM. Thread-safe: all state is guarded
 * by {@code lock}; exits are handed to the open backends outside it.
 */
final class SimWorld {
    /** The first fake port handed out on a node; ports run up to {@link #LAST_PORT} and wrap. */
    static final int FIRST_PORT = 20000;
    static final int LAST_PORT = 59999;

    /** An instance running: what the backend reports, the environment it was started with, the ports it was given. */
    record Sim(RunningInstance running, Map<String, String> env, List<Integer> ports) {
    }

    /** An exit to report: the instance, the handle of the process that ended, how. */
    record Exit(String instanceId, String handle, ExitInfo exit) {
    }

    /** One node: whether it answers, and what runs on it. Guarded by the world's lock. */
    private static final class Node {
        final String id;
        final Map<String, Sim> running = new LinkedHashMap<>();
        final Set<Integer> ports = new HashSet<>();
        int nextPort = FIRST_PORT;
        boolean alive = true;
        Instant silentSince;
        List<RunningInstance> lastListing = List.of();
        /** Crashes while the node did not answer: reported once it answers again, as a heartbeat would. */
        final List<Exit> unreported = new ArrayList<>();

        Node(String id) {
            this.id = id;
        }
    }

    private final Object lock = new Object();
    private final Clock clock;
    private final boolean openNodes;
    private final boolean liveness;
    private final String endpointHost;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, Sim> byId = new HashMap<>();
    private final List<SimBackend> backends = new CopyOnWriteArrayList<>();
    private final SimOutput output = new SimOutput();
    private long handles;
    private long starts;
    private long stops;

    SimWorld(Clock clock, Collection<String> declared, boolean liveness, String endpointHost) {
        this.clock = clock;
        this.openNodes = declared.isEmpty();
        this.liveness = liveness;
        this.endpointHost = endpointHost;
        declared.forEach(n -> nodes.put(n, new Node(n)));
    }

    Clock clock() {
        return clock;
    }

    SimOutput output() {
        return output;
    }

    void attach(SimBackend backend) {
        backends.add(backend);
    }

    void detach(SimBackend backend) {
        backends.remove(backend);
    }

    /** Starts the request's instance, or returns it unchanged when its id runs already. */
    RunningInstance start(LaunchRequest r) {
        synchronized (lock) {
            Sim existing = byId.get(r.instanceId());
            if (existing != null) {
                Node home = nodes.get(existing.running().node());
                if (home.alive) {
                    return existing.running();
                }
                throw new BackendException("instance '" + r.instanceId() + "' runs on node '" + home.id
                        + "', which does not answer: cannot tell whether to start it on node '" + r.node() + "'");
            }
            Node node = answering(r.node(), "instance '" + r.instanceId() + "' of app '" + r.app().name() + "'");
            Map<String, String> env = new LinkedHashMap<>(r.app().env());
            List<Integer> ports = new ArrayList<>(1);
            for (Map.Entry<String, String> e : env.entrySet()) {
                if (AppSpec.RANDOM_PORT.equals(e.getValue())) {
                    int port = freePort(node);
                    ports.add(port);
                    e.setValue(Integer.toString(port));
                }
            }
            String port = env.get(AppSpec.PORT);
            Endpoint endpoint = port == null ? null : new Endpoint(endpointHost, Integer.parseInt(port));
            RunningInstance ri = new RunningInstance(r.instanceId(), r.app().name(), r.release(), node.id, endpoint,
                    "sim-" + (++handles), clock.instant());
            Sim sim = new Sim(ri, env.isEmpty() ? Map.of() : Collections.unmodifiableMap(env), List.copyOf(ports));
            byId.put(ri.instanceId(), sim);
            node.running.put(ri.instanceId(), sim);
            starts++;
            return ri;
        }
    }

    /** Stops an instance on purpose (no exit is reported); a no-op for an unknown id. */
    void stop(String instanceId) {
        synchronized (lock) {
            Sim sim = byId.get(instanceId);
            if (sim == null) {
                return;
            }
            answering(sim.running().node(), "instance '" + instanceId + "'");
            remove(sim);
            stops++;
        }
    }

    /**
     * Ends an instance as a crash would: the exit to report now, or null when there is none to
     * report yet (an unknown id; or its node does not answer, and then it is reported once the node
     * answers again).
     */
    Exit crash(String instanceId, int code, String reason) {
        synchronized (lock) {
            Sim sim = byId.get(instanceId);
            if (sim == null) {
                return null;
            }
            remove(sim);
            Exit exit = new Exit(instanceId, sim.running().handle(), new ExitInfo(code, clock.instant(), reason));
            Node node = nodes.get(sim.running().node());
            if (!node.alive) {
                node.unreported.add(exit);
                return null;
            }
            return exit;
        }
    }

    /** Requires the instance's node to answer (a kill must reach it). */
    void requireReachable(String instanceId) {
        synchronized (lock) {
            Sim sim = byId.get(instanceId);
            if (sim != null) {
                answering(sim.running().node(), "instance '" + instanceId + "'");
            }
        }
    }

    /** Switches a node's answers on or off; returns the exits that happened while it was silent, now due. */
    List<Exit> setAlive(String nodeId, boolean alive) {
        synchronized (lock) {
            Node node = nodes.get(nodeId);
            if (node == null) {
                if (!openNodes) {
                    throw new IllegalArgumentException("node '" + nodeId + "' is not one of this SimBackend's nodes "
                            + nodes.keySet());
                }
                node = node(nodeId);
            }
            if (node.alive == alive) {
                return List.of();
            }
            node.alive = alive;
            if (!alive) {
                node.silentSince = clock.instant();
                node.lastListing = listing(node);
                return List.of();
            }
            node.silentSince = null;
            node.lastListing = List.of();
            List<Exit> due = List.copyOf(node.unreported);
            node.unreported.clear();
            return due;
        }
    }

    boolean alive(String nodeId) {
        synchronized (lock) {
            Node node = nodes.get(nodeId);
            return node == null || node.alive;
        }
    }

    /** Every instance on the nodes that answer. */
    List<RunningInstance> list() {
        synchronized (lock) {
            List<RunningInstance> out = new ArrayList<>(byId.size());
            for (Node node : nodes.values()) {
                if (node.alive) {
                    node.running.values().forEach(s -> out.add(s.running()));
                }
            }
            return out;
        }
    }

    /** The instances on one node, answering or not. */
    List<RunningInstance> on(String nodeId) {
        synchronized (lock) {
            Node node = nodes.get(nodeId);
            return node == null ? List.of() : listing(node);
        }
    }

    /**
     * Each node's latest liveness report, as a heartbeat taken just now would leave it: a node that
     * answers was last heard from now and lists what it runs; a silent one keeps its last answer.
     */
    List<NodeStatus> nodeStatus() {
        if (!liveness) {
            return List.of();
        }
        synchronized (lock) {
            Instant now = clock.instant();
            List<NodeStatus> out = new ArrayList<>(nodes.size());
            for (Node node : nodes.values()) {
                out.add(node.alive ? new NodeStatus(node.id, now, null, listing(node))
                        : new NodeStatus(node.id, node.silentSince, silence(node.id), node.lastListing));
            }
            return out;
        }
    }

    /** The running instance of this id, or null. */
    Sim find(String instanceId) {
        synchronized (lock) {
            return byId.get(instanceId);
        }
    }

    long starts() {
        synchronized (lock) {
            return starts;
        }
    }

    long stops() {
        synchronized (lock) {
            return stops;
        }
    }

    /** Hands exits to every open backend's listener. */
    void report(List<Exit> exits) {
        if (!exits.isEmpty()) {
            backends.forEach(b -> b.deliver(exits));
        }
    }

    private Node answering(String nodeId, String what) {
        Node node = nodes.get(nodeId);
        if (node == null) {
            if (!openNodes) {
                throw new BackendException(what + ": node '" + nodeId + "' is not one of this SimBackend's nodes");
            }
            node = node(nodeId);
        }
        if (!node.alive) {
            throw new BackendException(what + ": " + silence(nodeId));
        }
        return node;
    }

    private Node node(String nodeId) {
        if (!nodeId.matches(SimBackend.NODE_ID)) {
            throw new IllegalArgumentException("node '" + nodeId + "' is not allowed: must be 1-63 of A-Z a-z 0-9 . _ -");
        }
        return nodes.computeIfAbsent(nodeId, Node::new);
    }

    private static String silence(String nodeId) {
        return "node '" + nodeId + "' does not answer (switched off in SimBackend)";
    }

    private void remove(Sim sim) {
        byId.remove(sim.running().instanceId());
        Node node = nodes.get(sim.running().node());
        node.running.remove(sim.running().instanceId());
        node.ports.removeAll(sim.ports());
    }

    private static List<RunningInstance> listing(Node node) {
        List<RunningInstance> out = new ArrayList<>(node.running.size());
        node.running.values().forEach(s -> out.add(s.running()));
        return out;
    }

    private static int freePort(Node node) {
        int span = LAST_PORT - FIRST_PORT + 1;
        for (int tries = 0; tries < span; tries++) {
            int port = node.nextPort;
            node.nextPort = port == LAST_PORT ? FIRST_PORT : port + 1;
            if (!node.ports.contains(port)) {
                node.ports.add(port);
                return port;
            }
        }
        throw new BackendException("node '" + node.id + "': all " + span + " simulated ports are in use");
    }
}
