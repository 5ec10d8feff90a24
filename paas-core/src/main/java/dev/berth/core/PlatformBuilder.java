// Owns the fluent configuration of a Platform: each option checked as it is set, the whole checked and started by build().
package dev.berth.core;

import dev.berth.spi.Backend;
import dev.berth.api.NodeSpec;
import dev.berth.api.PlatformListener;
import dev.berth.spi.Router;
import dev.berth.spi.Scheduler;
import dev.berth.spi.StateStore;
import dev.berth.core.internal.reconcile.Wiring;
import dev.berth.core.internal.state.FileStateStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds a {@link Platform}. Each setter checks its value at once; {@link #build()} checks the
 * whole, loads the state and adopts running instances. Obtained from {@link Platform#builder()}.
 * Not thread-safe: one thread configures a builder.
 */
public final class PlatformBuilder {
    // the options Platform's constructor reads are package-private
    final List<NodeSpec> nodes = new ArrayList<>();
    final List<PlatformListener> listeners = new ArrayList<>();
    Backend backend;
    Router router;
    private Path stateDir;
    private StateStore stateStore;
    Scheduler scheduler = Schedulers.spread();
    Clock clock = Clock.systemUTC();
    Duration nodeDownAfter = Wiring.NODE_DOWN_AFTER;
    Duration readinessTimeout = Wiring.READINESS_TIMEOUT;
    Duration resyncInterval = Duration.ofSeconds(5);
    Duration stopGrace = Duration.ofSeconds(10);
    int releasesKept = 10;
    private Path dataDir;
    String deployBranch = "main";
    String gitPassword;
    String gitBindAddress = "127.0.0.1";
    int gitPort;
    boolean gitPushWaits = true;

    PlatformBuilder() {
    }

    /** Adds one node. */
    public PlatformBuilder node(NodeSpec node) {
        Objects.requireNonNull(node, "node");
        if (nodes.stream().anyMatch(n -> n.id().equals(node.id()))) {
            throw new IllegalArgumentException("node: '" + node.id() + "' is declared twice; node ids must be unique");
        }
        nodes.add(node);
        return this;
    }

    /** Adds these nodes. */
    public PlatformBuilder cluster(List<NodeSpec> nodes) {
        nodes.forEach(this::node);
        return this;
    }

    /** Adds these nodes. */
    public PlatformBuilder cluster(NodeSpec... nodes) {
        return cluster(List.of(nodes));
    }

    /** The backend that runs instances (required). */
    public PlatformBuilder backend(Backend backend) {
        this.backend = Objects.requireNonNull(backend, "backend");
        return this;
    }

    /** The router that sends domains to healthy instances (optional). */
    public PlatformBuilder router(Router router) {
        this.router = Objects.requireNonNull(router, "router");
        return this;
    }

    /** Keeps state in files under {@code dir} (the default store). */
    public PlatformBuilder stateDir(Path dir) {
        this.stateDir = Objects.requireNonNull(dir, "stateDir");
        return this;
    }

    /** Keeps state in {@code store} instead of files. */
    public PlatformBuilder stateStore(StateStore store) {
        this.stateStore = Objects.requireNonNull(store, "stateStore");
        return this;
    }

    /** The placement engine; default {@link Schedulers#spread()} (Mako's least-loaded node). */
    public PlatformBuilder scheduler(Scheduler scheduler) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        return this;
    }

    /**
     * How long a node may go without answering the backend's liveness checks before it is down
     * (default 5 s): its instances are then lost and placed on the other nodes, and what it
     * still runs when it answers again is stopped. Applies to backends that check their nodes
     * over a network (SSH hosts); local backends report no node liveness.
     */
    public PlatformBuilder nodeDownAfter(Duration after) {
        if (after == null || after.compareTo(Duration.ofMillis(200)) < 0 || after.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("nodeDownAfter " + after + " is not allowed: must be 200 ms to 1 h");
        }
        this.nodeDownAfter = after;
        return this;
    }

    /**
     * How long an instance with an endpoint and no health check may take to accept its first
     * connection (default 60 s, 100 ms to 1 h). Until then it is not routed; past it (outside a
     * rollout, whose deadline decides there) it is restarted as a failed start, with back-off.
     * With a health check the timeout is its grace period plus {@code maxConsecutiveFailures × interval}.
     */
    public PlatformBuilder readinessTimeout(Duration timeout) {
        if (timeout == null || timeout.compareTo(Duration.ofMillis(100)) < 0 || timeout.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("readinessTimeout " + timeout + " is not allowed: must be 100 ms to 1 h");
        }
        this.readinessTimeout = timeout;
        return this;
    }

    /** The clock for timestamps and back-off; default UTC system clock. */
    public PlatformBuilder clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /** How often the control loop resyncs when nothing happens; 100 ms to 1 h, default 5 s. */
    public PlatformBuilder resyncInterval(Duration interval) {
        requireBetween("resyncInterval", interval, Duration.ofMillis(100), Duration.ofHours(1));
        this.resyncInterval = interval;
        return this;
    }

    /** Where git repositories ({@code git/}) and release checkouts ({@code releases/}) live; default the state dir. */
    public PlatformBuilder dataDir(Path dir) {
        this.dataDir = Objects.requireNonNull(dir, "dataDir");
        return this;
    }

    /**
     * Starts the git smart-HTTP server on {@code port} (0 picks a free one; Mako used 4001) of
     * 127.0.0.1 unless {@link #gitBindAddress} says otherwise: {@code git push
     * http://git:PASSWORD@HOST:PORT/APP main} stores the code and deploys every app that
     * follows that repository. Every request needs the password (HTTP basic auth, compared in
     * constant time); without this option there is no git server.
     */
    public PlatformBuilder gitServer(int port, String password) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("gitServer: port " + port + " is not allowed; must be 0-65535");
        }
        if (password == null || password.isBlank()) {
            throw new IllegalArgumentException("gitServer: an empty or blank password is not allowed; set one (Mako's MASTER_PASS)");
        }
        this.gitPort = port;
        this.gitPassword = password;
        return this;
    }

    /**
     * Whether a {@code git push} waits for its deploy (default {@code true}): the push then
     * streams the release's build output, "k of n instances healthy" and the outcome back as
     * {@code remote:} lines, and a release that is rolled back fails the push (the branch stays
     * where it was) with the reason and the last lines of the failing instance's output. It
     * waits at most the app's update deadline plus 30 s. {@code false} returns as soon as the
     * deploy is accepted (persisted), for pushes from scripts or CI jobs that must not block for
     * a rollout, or that follow the deploy through the events API instead.
     */
    public PlatformBuilder gitPushWaits(boolean waits) {
        this.gitPushWaits = waits;
        return this;
    }

    /** The address the git server binds (default 127.0.0.1). */
    public PlatformBuilder gitBindAddress(String address) {
        this.gitBindAddress = Objects.requireNonNull(address, "gitBindAddress");
        return this;
    }

    /** The branch whose pushes deploy (default {@code main}, which also accepts Mako's {@code master}). */
    public PlatformBuilder deployBranch(String branch) {
        if (branch == null || !branch.matches("[A-Za-z0-9][A-Za-z0-9._/-]{0,99}") || branch.contains("..")) {
            throw new IllegalArgumentException("deployBranch: '" + branch + "' is not allowed; must be a branch "
                    + "name of A-Z a-z 0-9 . _ / -");
        }
        this.deployBranch = branch;
        return this;
    }

    /** How many deploys each app's history keeps, and so how far {@code rollback} reaches (default 10, 2-1000). */
    public PlatformBuilder releasesKept(int releases) {
        if (releases < 2 || releases > 1000) {
            throw new IllegalArgumentException("releasesKept: " + releases + " is not allowed; must be 2-1000");
        }
        this.releasesKept = releases;
        return this;
    }

    /** How long a stopped instance gets between SIGTERM and SIGKILL; 0 to 10 min, default 10 s. */
    public PlatformBuilder stopGrace(Duration grace) {
        requireBetween("stopGrace", grace, Duration.ZERO, Duration.ofMinutes(10));
        this.stopGrace = grace;
        return this;
    }

    /** Adds a listener that sees every event from the start, adoption included. */
    public PlatformBuilder listener(PlatformListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    static void requireBetween(String option, Duration d, Duration min, Duration max) {
        if (d == null || d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException(option + ": " + d + " is not allowed; must be " + min + " to " + max);
        }
    }

    /**
     * Loads the state, adopts instances that still run, stops what nothing wants and starts
     * the control loop.
     *
     * @throws IllegalArgumentException when a required part is missing
     * @throws dev.berth.api.StateStoreException when the state cannot be read
     */
    public Platform build() {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("cluster: no node declared; add at least one with node(...)");
        }
        if (backend == null) {
            throw new IllegalArgumentException("backend: none given; a platform needs one to run instances");
        }
        if ((stateDir == null) == (stateStore == null)) {
            throw new IllegalArgumentException("state: give exactly one of stateDir(...) or stateStore(...)");
        }
        if (dataDir == null && stateDir == null) {
            throw new IllegalArgumentException("dataDir: none given; with stateStore(...) set dataDir(...) for "
                    + "git repositories and release checkouts");
        }
        StateStore store;
        Platform p;
        try {
            store = stateStore != null ? stateStore : FileStateStore.open(stateDir);
        } catch (RuntimeException e) {
            closeGiven(null, e);
            throw e;
        }
        try {
            p = new Platform(this, store, dataDir != null ? dataDir : stateDir);
        } catch (RuntimeException e) {
            closeGiven(store, e);
            throw e;
        }
        p.start();
        return p;
    }

    /**
     * A refused build closes what it was given (the backend, the router) and the store it
     * opened, as {@link Platform#close} would have: nothing is left holding threads or files.
     * Failures to close are added to {@code cause}.
     */
    private void closeGiven(StateStore store, RuntimeException cause) {
        closeAll(cause, backend, router, store);
    }

    /** Closes each of {@code parts} that is not null; failures to close are added to {@code cause}. */
    static void closeAll(RuntimeException cause, AutoCloseable... parts) {
        for (AutoCloseable c : parts) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    cause.addSuppressed(e);
                }
            }
        }
    }
}
