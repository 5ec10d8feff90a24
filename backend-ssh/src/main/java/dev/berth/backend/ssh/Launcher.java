// Starting instances on the hosts: the checks, the release (through SshReleases), the ports and the detached launch.
package dev.berth.backend.ssh;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.api.Endpoint;
import dev.berth.spi.LaunchRequest;
import dev.berth.spi.RunningInstance;
import dev.berth.api.Source;
import dev.berth.support.ArgvExpansion;
import dev.berth.support.BerthEnv;
import dev.berth.support.IdLocks;
import dev.berth.support.OutputCaps;
import dev.berth.support.RecentPorts;

/**
 * Starts instances, idempotently by id: checks the request and the host (one round trip, which
 * also says whether the id runs and what the host has of the release), has {@link SshReleases}
 * prepare the release, then launches the command detached ({@code setsid}, output appended to
 * {@code instances/<id>/output.log}) under the wrapper that records its exit status. RANDOM_PORT
 * values are free ports of the host that were not handed out there in the last minute.
 *
 * <p>Thread-safe: starts of one id are serialized (the id's lock), port choices on one host too.
 */
final class Launcher {
    private static final Logger LOG = LoggerFactory.getLogger(Launcher.class);

    private final SshContext ctx;
    private final KnownInstances known;
    private final SshOptions options;
    private final HostMonitor monitor;
    private final SshReleases releases;
    /** The ports handed out on each host lately, by node id; each guarded by itself. */
    private final Map<String, RecentPorts> recentPorts = new LinkedHashMap<>();

    Launcher(SshContext ctx, HostMonitor monitor, SshReleases releases) {
        this.ctx = ctx;
        this.known = ctx.known();
        this.options = ctx.options();
        this.monitor = monitor;
        this.releases = releases;
        ctx.links().keySet().forEach(node -> recentPorts.put(node, new RecentPorts()));
    }

    /** The instance dir of an id on a host with that base dir. */
    static String instanceDir(String baseDir, String id) {
        return baseDir + "/instances/" + id;
    }

    /** Starts the instance unless it runs already (here or on the host it was placed on before). */
    RunningInstance start(LaunchRequest request) {
        Objects.requireNonNull(request, "request");
        ctx.ensureOpen();
        String id = Names.segment("instance id", request.instanceId());
        AppSpec spec = request.app();
        String app = Names.segment("app name", spec.name());
        String release = Names.segment("release", request.release());
        String node = request.node();
        HostLink link = ctx.links().get(node);
        String what = "app '" + app + "' instance '" + id + "'";
        if (link == null) {
            throw new BackendException(what + ": unknown node '" + Names.printable(node) + "': this SSH backend has hosts "
                    + ctx.links().keySet());
        }
        Source source = spec.source();
        if (!(source instanceof Source.None) && !(source instanceof Source.Directory)) {
            throw new BackendException(what + ": the SSH backend cannot run a "
                    + (source instanceof Source.Git ? "git" : "container image") + " source (" + source
                    + "); use a directory source (the platform resolves git sources into one) or none");
        }
        if (spec.command().isEmpty()) {
            throw new BackendException(what + ": no command to run");
        }
        if (!spec.user().isEmpty()) {
            throw new BackendException(what + ": user '" + spec.user() + "' is not supported by the SSH backend: "
                    + "instances run as the host's SSH user ('" + link.host().user() + "'); set user in the hosts file");
        }
        monitor.requireAnswering(link, what);
        IdLocks.Held lock = known.lock(id);
        try {
            // idempotent: the id may run on another host than asked (it was placed there before)
            TrackedRemote tracked = known.get(id);
            if (tracked != null && !tracked.host.equals(node)) {
                Optional<RunningInstance> there = probe(ctx.links().get(tracked.host), id);
                if (there.isPresent()) {
                    LOG.debug("{} already runs: start is a no-op", tracked);
                    return there.get();
                }
            }
            SshHost host = link.host();
            HostLink.Result pre = link.run(Scripts.PRECHECK, List.of(host.baseDir(), id, app, release,
                    source instanceof Source.None ? "1" : "0"), null, options.commandTimeout());
            pre.requireOk(what + " on " + link.where() + ": the check before starting failed");
            String releaseState = "absent";
            for (String line : pre.lines()) {
                if (line.startsWith("A ")) {
                    Seen seen = Seen.parse(line, host);
                    if (seen != null && seen.id().equals(id)) {
                        TrackedRemote t = known.adopt(node, seen.running(), true);
                        LOG.debug("{} already runs: start is a no-op", t);
                        return t.running;
                    }
                } else if (line.startsWith("R ")) {
                    releaseState = line.substring(2).trim();
                }
            }
            releases.prepare(link, spec, release, releaseState);
            return launch(link, spec, id, release);
        } finally {
            lock.close();
        }
    }

    /** The instance with that id if it runs on that host (one round trip). */
    private Optional<RunningInstance> probe(HostLink link, String id) {
        if (link == null) {
            return Optional.empty();
        }
        HostLink.Result r = link.run(Scripts.PRECHECK, List.of(link.host().baseDir(), id, "-", "-", "0"), null,
                options.commandTimeout());
        for (String line : r.lines()) {
            Seen seen = line.startsWith("A ") ? Seen.parse(line, link.host()) : null;
            if (seen != null && seen.id().equals(id)) {
                return Optional.of(known.adopt(link.host().id(), seen.running(), true).running);
            }
        }
        return Optional.empty();
    }

    private RunningInstance launch(HostLink link, AppSpec spec, String id, String release) {
        SshHost host = link.host();
        String app = spec.name();
        String what = "app '" + app + "' instance '" + id + "' on " + link.where();
        String base = host.baseDir();
        // an app without a source works in work/ of its instance dir, beside (never among) Berth's files
        String workDir = spec.source() instanceof Source.None ? instanceDir(base, id) + "/work"
                : SshReleases.dir(base, app, release);
        if (!spec.workingDir().isEmpty()) {
            // AppSpec allows only a relative path of plain names here: it stays inside (made for no source)
            workDir = workDir + "/" + spec.workingDir();
        }
        int randomPorts = (int) spec.env().values().stream().filter(AppSpec.RANDOM_PORT::equals).count();
        RecentPorts recent = recentPorts.get(host.id());
        // Ports are chosen and taken by the launch under the host's ledger, so that two starts
        // here never pick the same one (the meta of each launched instance lists its ports).
        Object portLock = randomPorts > 0 ? recent : new Object();
        synchronized (portLock) {
            List<Integer> ports = randomPorts > 0 ? allocatePorts(link, recent, randomPorts, what) : List.of();
            Map<String, String> env = new LinkedHashMap<>();
            Iterator<Integer> next = ports.iterator();
            for (Map.Entry<String, String> e : spec.env().entrySet()) {
                env.put(e.getKey(), AppSpec.RANDOM_PORT.equals(e.getValue()) ? Integer.toString(next.next()) : e.getValue());
            }
            BerthEnv.putInstance(env, app, id, release, host.id());
            String portValue = env.get(AppSpec.PORT);
            Integer port = portValue == null ? null : Integer.valueOf(portValue);
            // millisecond precision: what the meta file keeps, so an adopted instance equals the started one
            Instant startedAt = ctx.clock().instant().truncatedTo(ChronoUnit.MILLIS);
            String meta = String.join(" ", "v1", app, release, host.id(), port == null ? "-" : port.toString(),
                    Long.toString(startedAt.toEpochMilli()), workDir,
                    ports.isEmpty() ? "-" : String.join(",", ports.stream().map(String::valueOf).toList()));
            List<String> args = new ArrayList<>(List.of(base, id, workDir, meta, Scripts.WRAPPER, Scripts.INNER));
            args.addAll(ArgvExpansion.command(spec, env, what));   // ${NAME} from the instance's env, no shell
            HostLink.Result r = link.run(Scripts.LAUNCH, args, ShellQuote.envFile(env), options.commandTimeout());
            String pidLine = r.lines().stream().filter(l -> l.startsWith("P ")).findFirst().orElse(null);
            if (!r.ok() || pidLine == null) {
                throw new BackendException(what + ": cannot start " + spec.command() + ": "
                        + String.join("\n", OutputCaps.lastLines(r.lines(), 25, OutputCaps.FAILURE_BYTES))
                        + (r.err().isBlank() ? "" : " " + OutputCaps.cutLine(r.err().trim()))
                        + " (exit status " + r.exitCode() + ")");
            }
            String[] p = pidLine.split(" ");
            String handle = p[1] + ":" + p[2];
            Endpoint endpoint = port == null ? null : new Endpoint(host.address(), port);
            RunningInstance running = new RunningInstance(id, app, release, host.id(), endpoint, handle, startedAt);
            known.started(new TrackedRemote(host.id(), running));
            LOG.info("app '{}' instance '{}' release '{}' started on host '{}': pid {}, {}, in {}", app, id, release,
                    host.id(), p[1], port == null ? "no port" : "port " + port, workDir);
            return running;
        }
    }

    /** Free ports on the host (one round trip), not handed out here in the last minute; the caller holds {@code recent}. */
    private List<Integer> allocatePorts(HostLink link, RecentPorts recent, int count, String what) {
        Set<Integer> lately = recent.recent();
        String exclude = lately.isEmpty() ? "-" : String.join(",", lately.stream().sorted().map(String::valueOf).toList());
        int span = options.portTo() - options.portFrom() + 1;
        int offset = ThreadLocalRandom.current().nextInt(span);
        HostLink.Result r = link.run(Scripts.PORTS, List.of(link.host().baseDir(), Integer.toString(options.portFrom()),
                Integer.toString(options.portTo()), Integer.toString(offset), Integer.toString(count), exclude), null,
                options.commandTimeout());
        List<Integer> ports = new ArrayList<>();
        for (String line : r.lines()) {
            if (line.matches("[0-9]{1,5}")) {
                ports.add(Integer.valueOf(line));
            }
        }
        if (!r.ok() || ports.size() != count) {
            throw new BackendException(what + ": no " + count + " free port(s) in " + options.portFrom() + "-"
                    + options.portTo() + " on the host" + (r.err().isBlank() ? "" : ": " + r.err().trim()));
        }
        ports.forEach(recent::handedOut);
        return ports;
    }
}
