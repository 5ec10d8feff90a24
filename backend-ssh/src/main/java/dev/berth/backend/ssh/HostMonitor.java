// Host liveness: the heartbeat's rounds on every host, what they find (adoptions, exits), and each host's status (node up/down).
package dev.berth.backend.ssh;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.BackendException;
import dev.berth.api.ExitInfo;
import dev.berth.spi.NodeStatus;
import dev.berth.spi.RunningInstance;
import dev.berth.support.ExitCodes;

/**
 * Watches the hosts. Every {@code heartbeat} a background thread starts a liveness round on each
 * host whose previous round is done, all hosts in parallel: one request on the host's
 * {@link LivenessChannel}, whose answer lists the instances there. A round adopts what runs and
 * is not tracked, reports (once) what ended or vanished, and records the host's {@link NodeStatus}:
 * reachable with its instances, or not answering with the error (its instances are then unknown,
 * not dead). The heartbeat also rotates large output logs every minute.
 *
 * <p>Thread-safe: the rounds of one host are serialized, of different hosts run in parallel.
 */
final class HostMonitor {
    private static final Logger LOG = LoggerFactory.getLogger(HostMonitor.class);
    private static final int ROTATE_EVERY_SECONDS = 60;

    private final SshContext ctx;
    private final KnownInstances known;
    private final ExitReports exits;
    private final Map<String, HostState> states = new LinkedHashMap<>();
    /** The liveness channel of each host, by node id. */
    private final Map<String, LivenessChannel> liveness = new LinkedHashMap<>();
    private final ScheduledExecutorService heartbeat;
    private final ExecutorService checks;

    /** What the monitor knows of a host between rounds. */
    private static final class HostState {
        final ReentrantLock roundLock = new ReentrantLock();
        final AtomicBoolean inFlight = new AtomicBoolean();
        volatile NodeStatus status;
        /** "id:pid" of gone instances dealt with, whose pid files the next round retires. */
        final Set<String> toRetire = ConcurrentHashMap.newKeySet();
        volatile long lastRotate = System.nanoTime();

        HostState(String node) {
            status = new NodeStatus(node, null, null, List.of());
        }
    }

    HostMonitor(SshContext ctx, ExitReports exits) {
        this.ctx = ctx;
        this.known = ctx.known();
        this.exits = exits;
        for (HostLink link : ctx.links().values()) {
            String node = link.host().id();
            // the channel's opening may take a login shell's start: it gets a command's time, a round only checkTimeout
            liveness.put(node, new LivenessChannel(link, ctx.options().checkTimeout(), ctx.options().commandTimeout()));
            states.put(node, new HostState(node));
        }
        this.checks = Executors.newCachedThreadPool(SshContext.daemon("berth-ssh-check"));
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(SshContext.daemon("berth-ssh-heartbeat"));
    }

    /** Starts the heartbeat, unless it is off. */
    void start() {
        if (!ctx.options().heartbeat().isZero()) {
            heartbeat.scheduleWithFixedDelay(this::beat, 0, ctx.options().heartbeat().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Every second (or as configured): a check of each host whose previous check is done, in parallel. */
    private void beat() {
        if (ctx.closed()) {
            return;
        }
        for (HostLink link : ctx.links().values()) {
            HostState state = states.get(link.host().id());
            if (!state.inFlight.compareAndSet(false, true)) {
                continue; // the previous check of this host still waits for its answer
            }
            try {
                checks.execute(() -> {
                    try {
                        round(link, false);
                        if (System.nanoTime() - state.lastRotate > TimeUnit.SECONDS.toNanos(ROTATE_EVERY_SECONDS)) {
                            state.lastRotate = System.nanoTime();
                            // an exec of its own (it pays the login shell): never delays the next round
                            checks.execute(() -> rotate(link));
                        }
                    } catch (RuntimeException e) {
                        LOG.debug("check of {} failed: {}", link.where(), e.toString());
                    } finally {
                        state.inFlight.set(false);
                    }
                });
            } catch (RejectedExecutionException e) {
                state.inFlight.set(false);
            }
        }
    }

    /** Rotates the output logs above {@code logMaxBytes} on every host now (the heartbeat does it every minute). */
    void rotateLogs() {
        ctx.links().values().forEach(this::rotate);
    }

    private void rotate(HostLink link) {
        long max = ctx.options().logMaxBytes();
        try {
            link.run(Scripts.ROTATE, List.of(link.host().baseDir(), Long.toString(Math.max(1, max / 1024)),
                    Long.toString(max)), null, ctx.options().commandTimeout());
        } catch (BackendException e) {
            LOG.debug("log rotation on {} failed: {}", link.where(), e.getMessage());
        }
    }

    /** Checks every host in parallel; throws nothing (a failed host has the error in its status). */
    void checkAll(boolean wait) {
        List<Future<?>> futures = new ArrayList<>();
        for (HostLink link : ctx.links().values()) {
            futures.add(checks.submit(() -> round(link, wait)));
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                LOG.debug("check failed: {}", e.getCause().toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The latest status of every host, in host order, without a round trip. */
    List<NodeStatus> nodeStatus() {
        return states.values().stream().map(s -> s.status).toList();
    }

    /**
     * Every instance running on every host that answers (a round on each host, in parallel); a host
     * that does not answer is skipped with a warning.
     */
    List<RunningInstance> list() {
        List<RunningInstance> all = new ArrayList<>();
        onEveryHost(link -> round(link, true), "list",
                (node, e) -> LOG.warn("list: skipping host '{}', which does not answer: {}", node, e.getMessage()))
                .values().forEach(all::addAll);
        return all;
    }

    /**
     * Runs the task on every host in parallel (on the checks' threads) and returns the results by
     * node id, in host order; a host whose task threw is missing, handed to {@code skipped} with
     * the error. Throws "{@code what} was interrupted" if the calling thread is interrupted.
     */
    <T> Map<String, T> onEveryHost(Function<HostLink, T> task, String what, BiConsumer<String, Throwable> skipped) {
        Map<String, Future<T>> futures = new LinkedHashMap<>();
        for (HostLink link : ctx.links().values()) {
            futures.put(link.host().id(), checks.submit(() -> task.apply(link)));
        }
        Map<String, T> results = new LinkedHashMap<>();
        futures.forEach((node, f) -> {
            try {
                results.put(node, f.get());
            } catch (ExecutionException e) {
                skipped.accept(node, e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendException(what + " was interrupted", e);
            }
        });
        return results;
    }

    /** The host the id is on: known from starts and checks, else found by checking every host once; or null. */
    HostLink locate(String id) {
        String home = known.home(id);
        if (home != null) {
            return ctx.links().get(home);
        }
        checkAll(true);
        home = known.home(id);
        return home == null ? null : ctx.links().get(home);
    }

    /**
     * Fails at once for a host whose latest liveness check failed (the heartbeat clears that within
     * a beat of its coming back), instead of spending a connect timeout per call: a dead host's
     * pending calls must not hold the platform's workers while healthy hosts wait.
     */
    void requireAnswering(HostLink link, String what) {
        NodeStatus status = states.get(link.host().id()).status;
        if (!ctx.options().heartbeat().isZero() && status.lastError() != null && status.lastContact() != null) {
            throw new BackendException(what + ": " + link.where() + " does not answer (its last check: "
                    + status.lastError() + ")");
        }
    }

    /**
     * Lists the host's instances (one round on its liveness channel), applies what it says
     * (adoptions, exits) and records the host's status; returns the running instances or throws
     * with the host's error.
     */
    private List<RunningInstance> round(HostLink link, boolean waitForOther) {
        SshHost host = link.host();
        HostState state = states.get(host.id());
        if (waitForOther) {
            state.roundLock.lock();
        } else if (!state.roundLock.tryLock()) {
            return state.status.running();
        }
        try {
            long roundStart = System.nanoTime();
            // lastContact is when the listing was taken, not when it arrived: a platform that has
            // stopped an instance since then knows this listing predates the stop
            Instant listedAt = ctx.clock().instant();
            List<String> lines;
            try {
                List<String> retiring = List.copyOf(state.toRetire);
                lines = liveness.get(host.id()).round(retiring);
                retiring.forEach(state.toRetire::remove);
            } catch (BackendException e) {
                if (ctx.closed()) {
                    throw e;
                }
                NodeStatus old = state.status;
                if (old.reachable() || (old.lastError() == null && old.lastContact() == null)) {
                    LOG.warn("{} does not answer: {}", link.where(), e.getMessage());
                }
                state.status = new NodeStatus(host.id(), old.lastContact(), e.getMessage(), old.running());
                throw e;
            }
            List<RunningInstance> running = apply(host, state, lines, roundStart);
            NodeStatus old = state.status;
            if (!old.reachable() && old.lastError() != null) {
                LOG.info("{} answers again: {} instance(s) run there", link.where(), running.size());
            }
            state.status = new NodeStatus(host.id(), listedAt, null, running);
            return running;
        } finally {
            state.roundLock.unlock();
        }
    }

    /** Applies a host's answer: adopts what runs, reports what ended or vanished (once), keeps the rest. */
    private List<RunningInstance> apply(SshHost host, HostState state, List<String> lines, long roundStart) {
        String node = host.id();
        List<RunningInstance> running = new ArrayList<>();
        Set<String> present = new HashSet<>();
        List<String> adopted = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("A ")) {
                Seen seen = Seen.parse(line, host);
                if (seen == null) {
                    LOG.debug("host '{}': skipping a malformed line: {}", node, Names.printable(line));
                    continue;
                }
                present.add(seen.id());
                running.add(seen.running());
                known.seenOn(seen.id(), node);
                TrackedRemote t = known.get(seen.id());
                if (t != null && t.running.handle().equals(seen.running().handle())) {
                    continue;
                }
                if (known.tombstoned(seen.running().handle()) || (t != null && t.since > roundStart)
                        || known.isLocked(seen.id())) {
                    continue; // stopped on purpose, or (being) started anew, after this round listed it
                }
                if (known.adopt(node, seen.running(), false).running == seen.running()) {
                    adopted.add(seen.id());
                }
            } else if (line.startsWith("D ")) {
                String[] f = line.split(" ");
                if (f.length < 5) {
                    continue;
                }
                present.add(f[1]);
                if (!Names.isSegment(f[1]) || !f[2].matches("[0-9]{1,10}") || known.isLocked(f[1])) {
                    continue; // a start of that id is under way: decided next round, with what it tracks then
                }
                TrackedRemote t = known.get(f[1]);
                String handle = f[2] + ":" + f[3];
                if (t != null && t.running.handle().equals(handle) && !t.stopping && known.remove(f[1], t)) {
                    int code = ExitReports.parseCode(f[4]);
                    String reason = t.killing ? "killed by Berth with SIGKILL" : code == ExitInfo.UNKNOWN
                            ? "exited (status unknown: its wrapper was gone too)" : ExitCodes.describe(code);
                    exits.report(t, code, reason);
                }
                state.toRetire.add(f[1] + ":" + f[2]); // reported now, or not ours to report
            } else if (line.startsWith("X ")) {
                present.add(line.substring(2).trim());
            }
        }
        if (!adopted.isEmpty()) {
            LOG.info("host '{}': adopted {} running instance(s): {}", node, adopted.size(),
                    adopted.size() <= 10 ? adopted : adopted.subList(0, 10) + " and " + (adopted.size() - 10) + " more");
        }
        for (TrackedRemote t : known.all()) {
            if (t.host.equals(node) && t.since < roundStart && !present.contains(t.id()) && !t.stopping
                    && known.remove(t.id(), t)) {
                exits.report(t, ExitInfo.UNKNOWN, "is gone from host '" + node + "' (its pid file was removed)");
            }
        }
        return running;
    }

    /** The host's liveness channel (for tests: its rounds, opens and round times). */
    LivenessChannel liveness(String node) {
        return liveness.get(node);
    }

    /** Stops the heartbeat and the checks, and closes the liveness channels. */
    void close() {
        heartbeat.shutdownNow();
        checks.shutdownNow();
        liveness.values().forEach(LivenessChannel::close);
    }
}
