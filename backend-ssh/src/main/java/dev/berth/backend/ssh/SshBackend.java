// The SSH backend's public face: wires the client, the hosts and the parts that start, stop, watch and reach instances.
package dev.berth.backend.ssh;

import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.sshd.client.SshClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.spi.Backend;
import dev.berth.api.BackendException;
import dev.berth.spi.InstanceConsole;
import dev.berth.spi.LaunchRequest;
import dev.berth.api.NodeSpec;
import dev.berth.spi.NodeStatus;
import dev.berth.spi.RunningInstance;
import dev.berth.support.OutputCaps;

/**
 * A {@link Backend} that runs instances as processes on Linux hosts over SSH (Apache MINA SSHD),
 * built with {@link #builder()}. A host needs sshd, a POSIX sh, coreutils, util-linux's
 * {@code setsid}, {@code tar}, {@code awk} and /proc; nothing of Berth is installed on it.
 *
 * <p>Each host is a node ({@link #nodes()}). Host keys are always verified (see {@link SshHost});
 * the client logs in with the host's private key. One SSH session per host carries every command
 * as an exec channel and is reopened on the next use after it broke. Every command is a constant
 * sh script with its data passed as positional arguments, each quoted for the shell.
 *
 * <p>Under a host's base dir, {@code releases/<app>/<release>/} holds a directory source, copied
 * once per host (a tar stream unpacked into a temp dir and renamed into place) and the place where
 * the app's setup runs once (a marker records success); {@code instances/<id>/} holds an
 * instance's meta, env, pid file, exit status and {@code output.log}, and {@code work/}, the
 * working dir of an app without a source. Instances are started
 * detached ({@code setsid}, stdin from /dev/null, output appended to {@code output.log}) under a
 * small sh wrapper that records their exit status: they outlive the SSH session, this backend and
 * the JVM, and a new backend over the same hosts adopts them through {@link #list()} with the same
 * handles ({@code pid:startTicks}).
 *
 * <p>Liveness: every {@code heartbeat} (1 s by default) a background thread checks all hosts in
 * parallel. Each host has one long-lived liveness channel ({@link LivenessChannel}: opened once per
 * SSH session, reopened when it breaks) running a constant script that answers a round per request
 * line: it lists every pid file and says which processes are alive and really that instance (pid,
 * start time, boot id). A round pays no channel open and no login shell; {@code checkTimeout}
 * measures only the host's answer to it, never the (re)opening of the channel. The results are
 * {@link #nodeStatus()}; an instance that disappeared from a host that answered is reported once
 * to the {@link #onExit} listener (with its exit status when the wrapper recorded it). A host that
 * does not answer reports nothing: its instances are unknown, not dead. {@link #checkHosts()} runs
 * one such round synchronously.
 *
 * <p>Output handed back is capped in bytes as well as lines ({@link OutputCaps}): a line keeps its
 * first 4 KiB and "... (N bytes cut)"; {@code logs(id, n)} reads at most the last 1 MiB of the
 * output on the host and returns at most 1 MiB; a failed setup quotes at most 64 KiB of its output,
 * exec results keep the first 1 MiB; followers cut lines the same way.
 *
 * <p>Thread-safe: operations on one instance id are serialized, on different ids run in parallel;
 * checks of one host are serialized, of different hosts run in parallel.
 */
public final class SshBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(SshBackend.class);

    // The work is done by parts that share the context: Launcher (start, ports), SshReleases (copy
    // and setup), Stopper (stop, kill), HostMonitor (heartbeat, liveness, node status, list),
    // ExitReports and SshConsole. This class wires them and owns the SSH client.
    private final SshClient client;
    private final SshContext ctx;
    private final ExitReports exits;
    private final HostMonitor monitor;
    private final SshReleases releases;
    private final Launcher launcher;
    private final Stopper stopper;
    private final SshConsole console;

    SshBackend(SshOptions options, Clock clock, Collection<SshHost> hosts, Map<String, List<KeyPair>> keys) {
        this.client = SshClients.start(options);
        Map<String, HostLink> links = new LinkedHashMap<>();
        for (SshHost h : hosts) {
            links.put(h.id(), new HostLink(h, client, keys.get(h.id()), options.connectTimeout(), options.authTimeout(),
                    options.maxChannels()));
        }
        this.ctx = new SshContext(links, options, clock);
        this.exits = new ExitReports(ctx);
        this.monitor = new HostMonitor(ctx, exits);
        this.releases = new SshReleases(options);
        this.launcher = new Launcher(ctx, monitor, releases);
        this.stopper = new Stopper(ctx, monitor, exits);
        this.console = new SshConsole(ctx, monitor);
        monitor.start();
        LOG.info("SSH backend over {} host(s) {}: heartbeat {}", links.size(), links.keySet(),
                options.heartbeat().isZero() ? "off" : options.heartbeat());
    }

    /** A builder with the defaults listed on its setters. */
    public static SshBackendBuilder builder() {
        return new SshBackendBuilder();
    }

    @Override
    public String name() {
        return "ssh";
    }

    /** Every host as a cluster node (id, capacity, labels), in the order given: {@code .cluster(backend.nodes())}. */
    public List<NodeSpec> nodes() {
        return ctx.links().values().stream().map(l -> l.host().node()).toList();
    }

    /** The hosts, in the order given. */
    public List<SshHost> hosts() {
        return ctx.links().values().stream().map(HostLink::host).toList();
    }

    @Override
    public RunningInstance start(LaunchRequest request) {
        return launcher.start(request);
    }

    @Override
    public void stop(String instanceId, Duration grace) {
        stopper.stop(instanceId, grace);
    }

    @Override
    public void kill(String instanceId) {
        stopper.kill(instanceId);
    }

    /**
     * One liveness round on every host at once (one round trip per host), as the heartbeat does,
     * and the resulting status of each host, in host order. Exits found are reported as usual.
     * Blocks until every host answered or its check timed out.
     */
    public List<NodeStatus> checkHosts() {
        ctx.ensureOpen();
        monitor.checkAll(true);
        return nodeStatus();
    }

    @Override
    public void onExit(ExitListener listener) {
        exits.listener(listener);
    }

    /**
     * The latest status of every host, in host order, without a round trip. Before a host's first
     * check its status has neither a contact nor an error.
     */
    @Override
    public List<NodeStatus> nodeStatus() {
        return monitor.nodeStatus();
    }

    /**
     * Every Berth instance running on every host that answers (one round trip per host, in
     * parallel), adopting the ones not known yet. A host that does not answer is skipped with a
     * warning: its instances are missing from the list, not stopped.
     */
    @Override
    public List<RunningInstance> list() {
        ctx.ensureOpen();
        return monitor.list();
    }

    /**
     * Disk used by an app on each host that answers: its releases and its instance dirs (logs
     * included), in bytes, by node id (one round trip per host, in parallel). A host that does not
     * answer is missing from the map, with a warning.
     */
    public Map<String, Long> diskUsage(String app) {
        String name = Names.segment("app name", app);
        ctx.ensureOpen();
        return monitor.onEveryHost(link -> {
            HostLink.Result r = link.run(Scripts.DISK, List.of(link.host().baseDir(), name), null,
                    ctx.options().commandTimeout());
            String out = r.text().trim();
            if (!r.ok() || !out.matches("[0-9]{1,19}")) {
                throw new BackendException(link.where() + ": du failed: " + out + " " + r.err().trim());
            }
            return Long.parseLong(out) * 1024;
        }, "diskUsage", (node, e) -> LOG.warn("diskUsage of app '{}': skipping host '{}': {}", name, node, e.getMessage()));
    }

    /**
     * The setup's output is reported once the setup has ended on a host: its last 200 lines, of at
     * most its last 256 KiB, each line cut after 4 KiB with "... (N bytes cut)".
     */
    @Override
    public void onBuildOutput(BuildListener listener) {
        releases.buildListener(listener);
    }

    @Override
    public InstanceConsole console() {
        return console;
    }

    /** Stops the heartbeat, followers and connections; the instances keep running. Idempotent. */
    @Override
    public void close() {
        if (!ctx.close()) {
            return;
        }
        monitor.close();
        console.close();
        exits.close();
        ctx.links().values().forEach(HostLink::close);
        try {
            client.stop();
        } catch (RuntimeException e) {
            LOG.debug("stopping the SSH client: {}", e.toString());
        }
        LOG.info("SSH backend over {} closed; {} instance(s) keep running", ctx.links().keySet(), ctx.known().size());
    }

    /** Rotates the output logs above {@code logMaxBytes} on every host now (the heartbeat does it every minute). */
    void rotateLogs() {
        monitor.rotateLogs();
    }

    /** How many releases were copied to a host by this backend (for tests). */
    int copies() {
        return releases.copies();
    }

    /** How many setups ran to success (for tests). */
    int setups() {
        return releases.setups();
    }

    /** The host's liveness channel (for tests: its rounds, opens and round times). */
    LivenessChannel liveness(String node) {
        return monitor.liveness(node);
    }

    /** How many SSH sessions were opened to the host (for tests). */
    int connects(String node) {
        return ctx.links().get(node).connects();
    }

    @Override
    public String toString() {
        return "SshBackend" + ctx.links().keySet();
    }
}
