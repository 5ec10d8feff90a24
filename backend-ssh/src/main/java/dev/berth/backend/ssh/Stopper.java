// Stopping and killing instances on the hosts: SIGTERM then SIGKILL after a grace, or SIGKILL at once.
package dev.berth.backend.ssh;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.BackendException;
import dev.berth.api.ExitInfo;
import dev.berth.support.ExitCodes;
import dev.berth.support.IdLocks;

/**
 * Stops and kills instances, idempotently by id: an id no host has is a no-op. The stop script
 * answers G (gone already), S (stopped), K (killed with SIGKILL) or L (still runs after SIGKILL).
 * A stopped or killed handle is tombstoned so that a round listed before cannot adopt it again; a
 * kill reports the exit (a stop does not: the platform asked for it).
 *
 * <p>Thread-safe: operations on one id are serialized (the id's lock).
 */
final class Stopper {
    private static final Logger LOG = LoggerFactory.getLogger(Stopper.class);
    private static final Duration KILL_WAIT = Duration.ofSeconds(15);

    private final SshContext ctx;
    private final KnownInstances known;
    private final HostMonitor monitor;
    private final ExitReports exits;

    Stopper(SshContext ctx, HostMonitor monitor, ExitReports exits) {
        this.ctx = ctx;
        this.known = ctx.known();
        this.monitor = monitor;
        this.exits = exits;
    }

    void stop(String instanceId, Duration grace) {
        String id = Names.segment("instance id", instanceId);
        Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace " + grace + " is not allowed: must not be negative");
        }
        ctx.ensureOpen();
        IdLocks.Held lock = known.lock(id);
        try {
            HostLink link = answeringHost(id, "stop", "stopping");
            if (link == null) {
                return;
            }
            TrackedRemote t = known.get(id);
            if (t != null && t.host.equals(link.host().id())) {
                t.stopping = true;
            }
            long tenths = Math.min(Integer.MAX_VALUE, grace.toMillis() / 100);
            LOG.info("stopping instance '{}' on {}: SIGTERM, SIGKILL after {}", id, link.where(), grace);
            HostLink.Result r;
            try {
                r = link.run(Scripts.STOP, List.of(link.host().baseDir(), id, Long.toString(tenths), "stop"),
                        null, grace.plus(KILL_WAIT).plus(ctx.options().commandTimeout()));
            } catch (RuntimeException e) {
                if (t != null) {
                    t.stopping = false; // not stopped: its exit is still to be reported
                }
                throw e;
            }
            String[] out = firstLine(r).split(" ");
            boolean gone = out[0].equals("G") || out[0].equals("S") || out[0].equals("K");
            if (t != null && gone) {
                known.remove(id, t);
                known.tombstone(t.running.handle());
            } else if (t != null) {
                t.stopping = false;
            }
            switch (out[0]) {
                case "G" -> LOG.debug("instance '{}' did not run on {}: stop is a no-op", id, link.where());
                case "S" -> LOG.info("instance '{}' on {} stopped", id, link.where());
                case "K" -> {
                    if (grace.isZero()) {
                        LOG.info("instance '{}' on {} killed with SIGKILL (no grace)", id, link.where());
                    } else {
                        LOG.warn("instance '{}' on {} still ran after the grace of {}: killed with SIGKILL", id,
                                link.where(), grace);
                    }
                }
                case "L" -> throw stillRuns(id, link);
                default -> throw new BackendException("instance '" + id + "' on " + link.where()
                        + ": the stop script failed: " + r.text().trim() + " " + r.err().trim());
            }
        } finally {
            lock.close();
        }
    }

    void kill(String instanceId) {
        String id = Names.segment("instance id", instanceId);
        ctx.ensureOpen();
        IdLocks.Held lock = known.lock(id);
        try {
            HostLink link = answeringHost(id, "kill", "killing");
            if (link == null) {
                return;
            }
            TrackedRemote t = known.get(id);
            if (t != null) {
                t.killing = true;
            }
            LOG.info("killing instance '{}' on {}: SIGKILL", id, link.where());
            HostLink.Result r;
            try {
                r = link.run(Scripts.STOP, List.of(link.host().baseDir(), id, "0", "kill"), null,
                        KILL_WAIT.plus(ctx.options().commandTimeout()));
            } catch (RuntimeException e) {
                if (t != null) {
                    t.killing = false; // not killed: a later exit is its own
                }
                throw e;
            }
            String[] out = firstLine(r).split(" ");
            if (t != null && !(out[0].equals("G") || out[0].equals("S") || out[0].equals("K"))) {
                t.killing = false;
            }
            switch (out[0]) {
                case "G" -> LOG.debug("instance '{}' did not run on {}: kill is a no-op", id, link.where());
                case "K", "S" -> {
                    if (t != null && known.remove(id, t)) {
                        known.tombstone(t.running.handle());
                        int code = out.length > 1 ? ExitReports.parseCode(out[1]) : ExitInfo.UNKNOWN;
                        exits.report(t, code, "killed by Berth with SIGKILL"
                                + (code == ExitInfo.UNKNOWN ? "" : " (" + ExitCodes.describe(code) + ")"));
                    }
                }
                case "L" -> throw stillRuns(id, link);
                default -> throw new BackendException("instance '" + id + "' on " + link.where()
                        + ": the kill script failed: " + r.text().trim() + " " + r.err().trim());
            }
        } finally {
            lock.close();
        }
    }

    /** The host the id is on, failing at once if it does not answer; null (logged) if no host has it. */
    private HostLink answeringHost(String id, String verb, String doing) {
        HostLink link = monitor.locate(id);
        if (link == null) {
            LOG.debug("instance '{}' is not known on any host: {} is a no-op", id, verb);
            return null;
        }
        monitor.requireAnswering(link, doing + " instance '" + id + "'");
        return link;
    }

    private static BackendException stillRuns(String id, HostLink link) {
        return new BackendException("instance '" + id + "' on " + link.where() + " still runs " + KILL_WAIT
                + " after SIGKILL");
    }

    private static String firstLine(HostLink.Result r) {
        List<String> lines = r.lines();
        return lines.isEmpty() ? "?" : lines.get(0);
    }
}
