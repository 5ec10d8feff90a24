package dev.berth.backend.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.AppSpec;
import dev.berth.api.Backend;
import dev.berth.api.BackendException;
import dev.berth.api.Endpoint;
import dev.berth.api.ExecResult;
import dev.berth.api.ExitInfo;
import dev.berth.api.InstanceConsole;
import dev.berth.api.LaunchRequest;
import dev.berth.api.NodeSpec;
import dev.berth.api.NodeStatus;
import dev.berth.api.RunningInstance;
import dev.berth.api.Source;
import dev.berth.support.ArgvExpansion;
import dev.berth.support.BerthEnv;
import dev.berth.support.ExitCodes;
import dev.berth.support.IdLocks;
import dev.berth.support.OutputCaps;
import dev.berth.support.RecentPorts;

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
    private static final String RELEASES = "releases";
    private static final String INSTANCES = "instances";
    private static final Duration KILL_WAIT = Duration.ofSeconds(15);
    private static final Duration TOMBSTONE_TTL = Duration.ofMinutes(5);
    private static final int EXEC_OUTPUT_CAP = 1 << 20;
    private static final int ROTATE_EVERY_SECONDS = 60;

    private final Map<String, HostLink> links; // by node id, in the order given
    private final SshClient client;
    private final Options options;
    private final Clock clock;
    private final Map<String, TrackedRemote> tracked = new ConcurrentHashMap<>();
    /** The host each instance id was last seen on (kept after exits: logs and exec still work). */
    private final Map<String, String> homes = new ConcurrentHashMap<>();
    private final IdLocks locks = new IdLocks();
    private final IdLocks releaseLocks = new IdLocks();
    /** Handles stopped or killed on purpose, to when: a round that listed them before must not adopt them again. */
    private final Map<String, Long> tombstones = new ConcurrentHashMap<>();
    private final Map<String, HostState> states = new LinkedHashMap<>();
    /** The liveness channel of each host, by node id. */
    private final Map<String, LivenessChannel> liveness = new LinkedHashMap<>();
    private final Set<AutoCloseable> followers = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService heartbeat;
    private final ExecutorService checks;
    private final ExecutorService notifier;
    private final Console console = new Console();
    private final AtomicInteger copies = new AtomicInteger();
    private final AtomicInteger setups = new AtomicInteger();
    private volatile ExitListener listener = (id, handle, exit) -> { };
    private volatile BuildListener buildListener = (app, release, node, line) -> { };
    private volatile boolean closed;

    /** What the backend knows of a host between checks. */
    private static final class HostState {
        final ReentrantLock roundLock = new ReentrantLock();
        final AtomicBoolean inFlight = new AtomicBoolean();
        final Object portLock = new Object();
        /** Ports handed out on this host in the last minute; guarded by portLock. */
        final RecentPorts recentPorts = new RecentPorts();
        volatile NodeStatus status;
        /** "id:pid" of gone instances dealt with, whose pid files the next round retires. */
        final Set<String> toRetire = ConcurrentHashMap.newKeySet();
        volatile long lastRotate = System.nanoTime();

        HostState(String node) {
            status = new NodeStatus(node, null, null, List.of());
        }
    }

    /** An instance the backend believes runs: where, as what, and since when it is known. */
    private static final class TrackedRemote {
        final String host;
        final RunningInstance running;
        final long since = System.nanoTime();
        volatile boolean stopping;
        volatile boolean killing;

        TrackedRemote(String host, RunningInstance running) {
            this.host = host;
            this.running = running;
        }

        String id() {
            return running.instanceId();
        }

        @Override
        public String toString() {
            return "app '" + running.app() + "' instance '" + running.instanceId() + "' (" + running.handle()
                    + " on host '" + host + "')";
        }
    }

    record Options(Duration connectTimeout, Duration authTimeout, Duration commandTimeout, Duration heartbeat,
                   Duration checkTimeout, int portFrom, int portTo, Duration setupTimeout, Duration copyTimeout,
                   long logMaxBytes, int maxChannels) {
    }

    private SshBackend(Builder b, Map<String, List<KeyPair>> keys) {
        this.options = new Options(b.connectTimeout, b.authTimeout, b.commandTimeout, b.heartbeat, b.checkTimeout,
                b.portFrom, b.portTo, b.setupTimeout, b.copyTimeout, b.logMaxBytes, b.maxChannels);
        this.clock = b.clock;
        this.client = SshClient.setUpDefaultClient();
        // Never ~/.ssh/config, never the default identities, never passwords: only what the hosts say.
        client.setServerKeyVerifier(new HostKeys());
        client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        client.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        CoreModuleProperties.IO_CONNECT_TIMEOUT.set(client, b.connectTimeout);
        CoreModuleProperties.AUTH_TIMEOUT.set(client, b.authTimeout);
        CoreModuleProperties.WINDOW_TIMEOUT.set(client, b.copyTimeout);
        client.start();
        Map<String, HostLink> map = new LinkedHashMap<>();
        for (SshHost h : b.hosts.values()) {
            HostLink link = new HostLink(h, client, keys.get(h.id()), b.connectTimeout, b.authTimeout, b.maxChannels);
            map.put(h.id(), link);
            // the channel's opening may take a login shell's start: it gets a command's time, a round only checkTimeout
            liveness.put(h.id(), new LivenessChannel(link, b.checkTimeout, b.commandTimeout));
            states.put(h.id(), new HostState(h.id()));
        }
        this.links = java.util.Collections.unmodifiableMap(map);
        this.checks = Executors.newCachedThreadPool(daemon("berth-ssh-check"));
        this.notifier = Executors.newSingleThreadExecutor(daemon("berth-ssh-exits"));
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(daemon("berth-ssh-heartbeat"));
        if (!b.heartbeat.isZero()) {
            heartbeat.scheduleWithFixedDelay(this::beat, 0, b.heartbeat.toMillis(), TimeUnit.MILLISECONDS);
        }
        LOG.info("SSH backend over {} host(s) {}: heartbeat {}", links.size(), links.keySet(),
                b.heartbeat.isZero() ? "off" : b.heartbeat);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** A builder with the defaults listed on its setters. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "ssh";
    }

    /** Every host as a cluster node (id, capacity, labels), in the order given: {@code .cluster(backend.nodes())}. */
    public List<NodeSpec> nodes() {
        return links.values().stream().map(l -> l.host().node()).toList();
    }

    /** The hosts, in the order given. */
    public List<SshHost> hosts() {
        return links.values().stream().map(HostLink::host).toList();
    }

    // ---------------------------------------------------------------- start

    @Override
    public RunningInstance start(LaunchRequest request) {
        Objects.requireNonNull(request, "request");
        ensureOpen();
        String id = checked("instance id", request.instanceId());
        AppSpec spec = request.app();
        String app = checked("app name", spec.name());
        String release = checked("release", request.release());
        String node = request.node();
        HostLink link = links.get(node);
        String what = "app '" + app + "' instance '" + id + "'";
        if (link == null) {
            throw new BackendException(what + ": unknown node '" + Names.printable(node) + "': this SSH backend has hosts "
                    + links.keySet());
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
        requireAnswering(link, what);
        IdLocks.Held lock = locks.lock(id);
        try {
            // idempotent: the id may run on another host than asked (it was placed there before)
            TrackedRemote known = tracked.get(id);
            if (known != null && !known.host.equals(node)) {
                Optional<RunningInstance> there = probe(links.get(known.host), id);
                if (there.isPresent()) {
                    LOG.debug("{} already runs: start is a no-op", known);
                    return there.get();
                }
            }
            SshHost host = link.host();
            String base = host.baseDir();
            HostLink.Result pre = link.run(Scripts.PRECHECK, List.of(base, id, app, release,
                    source instanceof Source.None ? "1" : "0"), null, options.commandTimeout);
            pre.requireOk(what + " on " + link.where() + ": the check before starting failed");
            String releaseState = "absent";
            for (String line : pre.lines()) {
                if (line.startsWith("A ")) {
                    Seen seen = Seen.parse(line, host);
                    if (seen != null && seen.id.equals(id)) {
                        TrackedRemote t = adopt(node, seen.running);
                        LOG.debug("{} already runs: start is a no-op", t);
                        return t.running;
                    }
                } else if (line.startsWith("R ")) {
                    releaseState = line.substring(2).trim();
                }
            }
            prepareRelease(link, spec, release, releaseState);
            return launch(link, spec, id, release);
        } finally {
            lock.close();
        }
    }

    /** Copies the release to the host if it is not there, and runs the setup if it has not succeeded there. */
    private void prepareRelease(HostLink link, AppSpec spec, String release, String state) {
        String app = spec.name();
        boolean needCopy = "absent".equals(state);
        boolean needSetup = !spec.setup().isEmpty() && !"ready".equals(state);
        if (!needCopy && !needSetup) {
            return;
        }
        String key = link.host().id() + "/" + app + "/" + release;
        IdLocks.Held lock = releaseLocks.lock(key);
        try {
            String base = link.host().baseDir();
            if (lock.othersWaiting() || needCopy) {
                // another start may have prepared it meanwhile (here or from another backend): look again
                HostLink.Result again = link.run(Scripts.PRECHECK, List.of(base, "-", app, release,
                        spec.source() instanceof Source.None ? "1" : "0"), null, options.commandTimeout);
                again.requireOk("app '" + app + "' release '" + release + "' on " + link.where()
                        + ": the release check failed");
                for (String line : again.lines()) {
                    if (line.startsWith("R ")) {
                        state = line.substring(2).trim();
                    }
                }
                needCopy = "absent".equals(state);
                needSetup = !spec.setup().isEmpty() && !"ready".equals(state);
            }
            if (needCopy && spec.source() instanceof Source.Directory dir) {
                upload(link, app, release, dir.path());
            }
            if (needSetup) {
                runSetup(link, spec, release);
            }
        } finally {
            lock.close();
        }
    }

    /** Streams the directory as a tar (made by the local {@code tar}) into the release dir on the host. */
    private void upload(HostLink link, String app, String release, Path dir) {
        String what = "app '" + app + "' release '" + release + "' on " + link.where();
        if (!Files.isDirectory(dir)) {
            throw new BackendException(what + ": source directory " + dir + " does not exist or is not a directory");
        }
        long t0 = System.nanoTime();
        LOG.info("{}: copying {} to {}/{}/{}/{}", what, dir, link.host().baseDir(), RELEASES, app, release);
        Process tar;
        Path tarErrors;
        try {
            tarErrors = Files.createTempFile("berth-ssh-tar", ".err");
        } catch (IOException e) {
            throw new BackendException(what + ": cannot make a temp file for tar's errors: " + e.getMessage(), e);
        }
        try {
            try {
                tar = new ProcessBuilder("tar", "-c", "-f", "-", "-C", dir.toString(), ".")
                        .redirectError(tarErrors.toFile()).start();
            } catch (IOException e) {
                throw new BackendException(what + ": cannot run the local tar to copy " + dir + ": " + e.getMessage(), e);
            }
            HostLink.Result r;
            try (InputStream in = tar.getInputStream()) {
                r = link.run(Scripts.UPLOAD, List.of(link.host().baseDir(), app, release), in, options.copyTimeout);
                if (!tar.waitFor(30, TimeUnit.SECONDS)) {
                    throw new BackendException(what + ": the local tar of " + dir + " did not end");
                }
            } catch (IOException e) {
                throw new BackendException(what + ": copy failed: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendException(what + ": interrupted while copying", e);
            } finally {
                tar.destroyForcibly();
            }
            if (tar.exitValue() != 0) {
                throw new BackendException(what + ": the local tar of " + dir + " failed (exit status " + tar.exitValue()
                        + "): " + readQuietly(tarErrors));
            }
            r.requireOk(what + ": unpacking the copy failed");
            if (r.text().contains("copied")) {
                copies.incrementAndGet();
            }
        } finally {
            try {
                Files.deleteIfExists(tarErrors);
            } catch (IOException e) {
                LOG.debug("cannot delete {}: {}", tarErrors, e.toString());
            }
        }
        LOG.info("{}: copied in {} ms", what, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private static String readQuietly(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8).trim();
            return s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
        } catch (IOException e) {
            return "(its errors cannot be read: " + e + ")";
        }
    }

    private void runSetup(HostLink link, AppSpec spec, String release) {
        String app = spec.name();
        String node = link.host().id();
        String what = "setup of app '" + app + "' release '" + release + "' on " + link.where();
        Map<String, String> env = new LinkedHashMap<>();
        spec.env().forEach((k, v) -> {
            if (!AppSpec.RANDOM_PORT.equals(v)) {
                env.put(k, v);
            }
        });
        BerthEnv.putSetup(env, app, release, node);
        List<String> args = new ArrayList<>(List.of(link.host().baseDir(), app, release,
                Long.toString(Math.max(1, options.setupTimeout.toSeconds()))));
        args.addAll(spec.setup());
        LOG.info("{}: running {}", what, spec.setup());
        HostLink.Result r = link.run(Scripts.SETUP, args, ShellQuote.envFile(env), options.setupTimeout.plusSeconds(30));
        List<String> lines = r.lines();
        List<String> output = lines.size() > 1 ? lines.subList(1, lines.size()) : List.of();
        for (String line : OutputCaps.lastLines(output, 200, Scripts.BUILD_BYTES)) {
            if (!line.startsWith("# berth: ")) {
                buildListener.output(app, release, node, line); // the setup's output, once it has ended
            }
        }
        if (r.ok() && !lines.isEmpty() && lines.get(0).equals("OK")) {
            setups.incrementAndGet();
            LOG.info("{}: done", what);
            return;
        }
        String status = lines.isEmpty() ? "exit status " + r.exitCode() : lines.get(0);
        String detail = status.startsWith("FAIL ") ? describeSetup(status.substring(5).trim()) : status;
        List<String> tail = OutputCaps.lastLines(output, 20, OutputCaps.FAILURE_BYTES);
        throw new BackendException(what + " failed: " + OutputCaps.cutLine(detail)
                + (r.err().isBlank() ? "" : " (" + OutputCaps.cutLine(r.err().trim()) + ")")
                + "; last " + tail.size() + " lines of " + link.host().baseDir() + "/" + RELEASES + "/" + app + "/"
                + release + "/setup.log:\n" + String.join("\n", tail));
    }

    private String describeSetup(String code) {
        if ("124".equals(code) || "137".equals(code)) {
            return "timed out after " + options.setupTimeout + " and was killed (" + code + ")";
        }
        try {
            return describe(Integer.parseInt(code));
        } catch (NumberFormatException e) {
            return "exit status " + code;
        }
    }

    private RunningInstance launch(HostLink link, AppSpec spec, String id, String release) {
        SshHost host = link.host();
        String app = spec.name();
        String what = "app '" + app + "' instance '" + id + "' on " + link.where();
        String base = host.baseDir();
        String instanceDir = base + "/" + INSTANCES + "/" + id;
        // an app without a source works in work/ of its instance dir, beside (never among) Berth's files
        String workDir = spec.source() instanceof Source.None ? instanceDir + "/work"
                : base + "/" + RELEASES + "/" + app + "/" + release;
        if (!spec.workingDir().isEmpty()) {
            // AppSpec allows only a relative path of plain names here: it stays inside (made for no source)
            workDir = workDir + "/" + spec.workingDir();
        }
        int randomPorts = (int) spec.env().values().stream().filter(AppSpec.RANDOM_PORT::equals).count();
        HostState state = states.get(host.id());
        // Ports are chosen and taken by the launch under the host's port lock, so that two starts
        // here never pick the same one (the meta of each launched instance lists its ports).
        Object portLock = randomPorts > 0 ? state.portLock : new Object();
        synchronized (portLock) {
            List<Integer> ports = randomPorts > 0 ? allocatePorts(link, state, randomPorts, what) : List.of();
            Map<String, String> env = new LinkedHashMap<>();
            Iterator<Integer> next = ports.iterator();
            for (Map.Entry<String, String> e : spec.env().entrySet()) {
                env.put(e.getKey(), AppSpec.RANDOM_PORT.equals(e.getValue()) ? Integer.toString(next.next()) : e.getValue());
            }
            BerthEnv.putInstance(env, app, id, release, host.id());
            String portValue = env.get(AppSpec.PORT);
            Integer port = portValue == null ? null : Integer.valueOf(portValue);
            // millisecond precision: what the meta file keeps, so an adopted instance equals the started one
            Instant startedAt = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
            String meta = String.join(" ", "v1", app, release, host.id(), port == null ? "-" : port.toString(),
                    Long.toString(startedAt.toEpochMilli()), workDir,
                    ports.isEmpty() ? "-" : String.join(",", ports.stream().map(String::valueOf).toList()));
            List<String> args = new ArrayList<>(List.of(base, id, workDir, meta, Scripts.WRAPPER, Scripts.INNER));
            args.addAll(ArgvExpansion.command(spec, env, what));   // ${NAME} from the instance's env, no shell
            HostLink.Result r = link.run(Scripts.LAUNCH, args, ShellQuote.envFile(env), options.commandTimeout);
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
            TrackedRemote t = new TrackedRemote(host.id(), running);
            tracked.put(id, t);
            homes.put(id, host.id());
            LOG.info("app '{}' instance '{}' release '{}' started on host '{}': pid {}, {}, in {}", app, id, release,
                    host.id(), p[1], port == null ? "no port" : "port " + port, workDir);
            return running;
        }
    }

    /** Free ports on the host (one round trip), not handed out here in the last minute. */
    private List<Integer> allocatePorts(HostLink link, HostState state, int count, String what) {
        Set<Integer> recent = state.recentPorts.recent();
        String exclude = recent.isEmpty() ? "-" : String.join(",", recent.stream().sorted().map(String::valueOf).toList());
        int span = options.portTo - options.portFrom + 1;
        int offset = ThreadLocalRandom.current().nextInt(span);
        HostLink.Result r = link.run(Scripts.PORTS, List.of(link.host().baseDir(), Integer.toString(options.portFrom),
                Integer.toString(options.portTo), Integer.toString(offset), Integer.toString(count), exclude), null,
                options.commandTimeout);
        List<Integer> ports = new ArrayList<>();
        for (String line : r.lines()) {
            if (line.matches("[0-9]{1,5}")) {
                ports.add(Integer.valueOf(line));
            }
        }
        if (!r.ok() || ports.size() != count) {
            throw new BackendException(what + ": no " + count + " free port(s) in " + options.portFrom + "-"
                    + options.portTo + " on the host" + (r.err().isBlank() ? "" : ": " + r.err().trim()));
        }
        ports.forEach(state.recentPorts::handedOut);
        return ports;
    }

    // ---------------------------------------------------------------- stop, kill

    @Override
    public void stop(String instanceId, Duration grace) {
        String id = checked("instance id", instanceId);
        Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace " + grace + " is not allowed: must not be negative");
        }
        ensureOpen();
        IdLocks.Held lock = locks.lock(id);
        try {
            HostLink link = locate(id);
            if (link == null) {
                LOG.debug("instance '{}' is not known on any host: stop is a no-op", id);
                return;
            }
            requireAnswering(link, "stopping instance '" + id + "'");
            TrackedRemote t = tracked.get(id);
            if (t != null && t.host.equals(link.host().id())) {
                t.stopping = true;
            }
            long tenths = Math.min(Integer.MAX_VALUE, grace.toMillis() / 100);
            LOG.info("stopping instance '{}' on {}: SIGTERM, SIGKILL after {}", id, link.where(), grace);
            HostLink.Result r;
            try {
                r = link.run(Scripts.STOP, List.of(link.host().baseDir(), id, Long.toString(tenths), "stop"),
                        null, grace.plus(KILL_WAIT).plus(options.commandTimeout));
            } catch (RuntimeException e) {
                if (t != null) {
                    t.stopping = false; // not stopped: its exit is still to be reported
                }
                throw e;
            }
            String[] out = firstLine(r).split(" ");
            boolean gone = out[0].equals("G") || out[0].equals("S") || out[0].equals("K");
            if (t != null && gone) {
                tracked.remove(id, t);
                tombstone(t.running.handle());
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
                case "L" -> throw new BackendException("instance '" + id + "' on " + link.where() + " still runs "
                        + KILL_WAIT + " after SIGKILL");
                default -> throw new BackendException("instance '" + id + "' on " + link.where()
                        + ": the stop script failed: " + r.text().trim() + " " + r.err().trim());
            }
        } finally {
            lock.close();
        }
    }

    @Override
    public void kill(String instanceId) {
        String id = checked("instance id", instanceId);
        ensureOpen();
        IdLocks.Held lock = locks.lock(id);
        try {
            HostLink link = locate(id);
            if (link == null) {
                LOG.debug("instance '{}' is not known on any host: kill is a no-op", id);
                return;
            }
            requireAnswering(link, "killing instance '" + id + "'");
            TrackedRemote t = tracked.get(id);
            if (t != null) {
                t.killing = true;
            }
            LOG.info("killing instance '{}' on {}: SIGKILL", id, link.where());
            HostLink.Result r;
            try {
                r = link.run(Scripts.STOP, List.of(link.host().baseDir(), id, "0", "kill"), null,
                        KILL_WAIT.plus(options.commandTimeout));
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
                    if (t != null && tracked.remove(id, t)) {
                        tombstone(t.running.handle());
                        int code = out.length > 1 ? parseCode(out[1]) : ExitInfo.UNKNOWN;
                        report(t, code, "killed by Berth with SIGKILL"
                                + (code == ExitInfo.UNKNOWN ? "" : " (" + describe(code) + ")"));
                    }
                }
                case "L" -> throw new BackendException("instance '" + id + "' on " + link.where() + " still runs "
                        + KILL_WAIT + " after SIGKILL");
                default -> throw new BackendException("instance '" + id + "' on " + link.where()
                        + ": the kill script failed: " + r.text().trim() + " " + r.err().trim());
            }
        } finally {
            lock.close();
        }
    }

    /**
     * Fails at once for a host whose latest liveness check failed (the heartbeat clears that within
     * a beat of its coming back), instead of spending a connect timeout per call: a dead host's
     * pending calls must not hold the platform's workers while healthy hosts wait.
     */
    private void requireAnswering(HostLink link, String what) {
        NodeStatus status = states.get(link.host().id()).status;
        if (!options.heartbeat.isZero() && status.lastError() != null && status.lastContact() != null) {
            throw new BackendException(what + ": " + link.where() + " does not answer (its last check: "
                    + status.lastError() + ")");
        }
    }

    private static String firstLine(HostLink.Result r) {
        List<String> lines = r.lines();
        return lines.isEmpty() ? "?" : lines.get(0);
    }

    private void tombstone(String handle) {
        long now = System.nanoTime();
        tombstones.values().removeIf(at -> now - at > TOMBSTONE_TTL.toNanos());
        tombstones.put(handle, now);
    }

    /** The host the id is on: known from starts and checks, else found by checking every host once. */
    private HostLink locate(String id) {
        String home = homes.get(id);
        if (home != null) {
            return links.get(home);
        }
        checkAll(true);
        home = homes.get(id);
        return home == null ? null : links.get(home);
    }

    // ---------------------------------------------------------------- liveness

    /** What one line of the liveness script says of a running instance. */
    record Seen(String id, RunningInstance running) {
        /** Parses "A id pid ticks v1 app release node port startedAt workDir ports", or null when malformed. */
        static Seen parse(String line, SshHost host) {
            String[] f = line.split(" ");
            if (f.length != 12 || !f[0].equals("A") || !"v1".equals(f[4])) {
                return null;
            }
            try {
                String id = f[1];
                if (!Names.isSegment(id) || !Names.isSegment(f[5]) || !Names.isSegment(f[6])
                        || !f[2].matches("[0-9]{1,10}") || !f[3].matches("[0-9]{1,20}")) {
                    return null;
                }
                Endpoint endpoint = f[8].equals("-") ? null : new Endpoint(host.address(), Integer.parseInt(f[8]));
                Instant at = Instant.ofEpochMilli(Long.parseLong(f[9]));
                return new Seen(id, new RunningInstance(id, f[5], f[6], host.id(), endpoint, f[2] + ":" + f[3], at));
            } catch (RuntimeException e) {
                return null;
            }
        }
    }

    /** The instance with that id if it runs on that host (one round trip). */
    private Optional<RunningInstance> probe(HostLink link, String id) {
        if (link == null) {
            return Optional.empty();
        }
        HostLink.Result r = link.run(Scripts.PRECHECK, List.of(link.host().baseDir(), id, "-", "-", "0"), null,
                options.commandTimeout);
        for (String line : r.lines()) {
            Seen seen = line.startsWith("A ") ? Seen.parse(line, link.host()) : null;
            if (seen != null && seen.id.equals(id)) {
                return Optional.of(adopt(link.host().id(), seen.running).running);
            }
        }
        return Optional.empty();
    }

    /** Tracks an instance seen running, unless it is tracked with that handle already; logs each adoption. */
    private TrackedRemote adopt(String host, RunningInstance running) {
        return adopt(host, running, true);
    }

    private TrackedRemote adopt(String host, RunningInstance running, boolean log) {
        homes.put(running.instanceId(), host);
        boolean[] created = new boolean[1];
        TrackedRemote t = tracked.compute(running.instanceId(), (k, old) -> {
            if (old != null && old.running.handle().equals(running.handle())) {
                return old;
            }
            created[0] = true;
            return new TrackedRemote(host, running);
        });
        if (created[0]) {
            if (log) {
                LOG.info("adopted {}", t);
            } else {
                LOG.debug("adopted {}", t);
            }
        }
        return t;
    }

    /** Every second (or as configured): a check of each host whose previous check is done, in parallel. */
    private void beat() {
        if (closed) {
            return;
        }
        for (HostLink link : links.values()) {
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
            } catch (java.util.concurrent.RejectedExecutionException e) {
                state.inFlight.set(false);
            }
        }
    }

    /** Rotates the output logs above {@code logMaxBytes} on every host now (the heartbeat does it every minute). */
    void rotateLogs() {
        links.values().forEach(this::rotate);
    }

    private void rotate(HostLink link) {
        try {
            link.run(Scripts.ROTATE, List.of(link.host().baseDir(), Long.toString(Math.max(1, options.logMaxBytes / 1024)),
                    Long.toString(options.logMaxBytes)), null, options.commandTimeout);
        } catch (BackendException e) {
            LOG.debug("log rotation on {} failed: {}", link.where(), e.getMessage());
        }
    }

    /**
     * One liveness round on every host at once (one round trip per host), as the heartbeat does,
     * and the resulting status of each host, in host order. Exits found are reported as usual.
     * Blocks until every host answered or its check timed out.
     */
    public List<NodeStatus> checkHosts() {
        ensureOpen();
        checkAll(true);
        return nodeStatus();
    }

    /** Checks every host in parallel; throws nothing (a failed host has the error in its status). */
    private void checkAll(boolean wait) {
        List<Future<?>> futures = new ArrayList<>();
        for (HostLink link : links.values()) {
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
            Instant listedAt = clock.instant();
            List<String> lines;
            try {
                List<String> retiring = List.copyOf(state.toRetire);
                lines = liveness.get(host.id()).round(retiring);
                retiring.forEach(state.toRetire::remove);
            } catch (BackendException e) {
                if (closed) {
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
                present.add(seen.id);
                running.add(seen.running);
                homes.put(seen.id, node);
                TrackedRemote t = tracked.get(seen.id);
                if (t != null && t.running.handle().equals(seen.running.handle())) {
                    continue;
                }
                if (tombstones.containsKey(seen.running.handle()) || (t != null && t.since > roundStart)
                        || locks.isLocked(seen.id)) {
                    continue; // stopped on purpose, or (being) started anew, after this round listed it
                }
                if (adopt(node, seen.running, false).running == seen.running) {
                    adopted.add(seen.id);
                }
            } else if (line.startsWith("D ")) {
                String[] f = line.split(" ");
                if (f.length < 5) {
                    continue;
                }
                present.add(f[1]);
                if (!Names.isSegment(f[1]) || !f[2].matches("[0-9]{1,10}") || locks.isLocked(f[1])) {
                    continue; // a start of that id is under way: decided next round, with what it tracks then
                }
                TrackedRemote t = tracked.get(f[1]);
                String handle = f[2] + ":" + f[3];
                if (t != null && t.running.handle().equals(handle) && !t.stopping && tracked.remove(f[1], t)) {
                    int code = parseCode(f[4]);
                    String reason = t.killing ? "killed by Berth with SIGKILL" : code == ExitInfo.UNKNOWN
                            ? "exited (status unknown: its wrapper was gone too)" : describe(code);
                    report(t, code, reason);
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
        for (TrackedRemote t : tracked.values()) {
            if (t.host.equals(node) && t.since < roundStart && !present.contains(t.id()) && !t.stopping
                    && tracked.remove(t.id(), t)) {
                report(t, ExitInfo.UNKNOWN, "is gone from host '" + node + "' (its pid file was removed)");
            }
        }
        return running;
    }

    private static int parseCode(String s) {
        try {
            int code = Integer.parseInt(s);
            return code < 0 || code > 255 ? ExitInfo.UNKNOWN : code;
        } catch (NumberFormatException e) {
            return ExitInfo.UNKNOWN;
        }
    }

    private void report(TrackedRemote t, int code, String reason) {
        ExitInfo exit = new ExitInfo(code, clock.instant(), reason);
        if (closed) {
            LOG.info("{} {} (not reported: the backend is closed)", t, reason);
            return;
        }
        LOG.warn("{} {}", t, reason);
        try {
            notifier.execute(() -> {
                try {
                    listener.exited(t.id(), t.running.handle(), exit);
                } catch (RuntimeException e) {
                    LOG.warn("exit listener failed for {}: {}", t, e.toString(), e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.info("{} {} (not reported: the backend is closing)", t, reason);
        }
    }

    /** A human-readable description of an exit status as sh reports it ({@link ExitCodes#describe}). */
    static String describe(int code) {
        return ExitCodes.describe(code);
    }

    @Override
    public void onExit(ExitListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * The latest status of every host, in host order, without a round trip. Before a host's first
     * check its status has neither a contact nor an error.
     */
    @Override
    public List<NodeStatus> nodeStatus() {
        return states.values().stream().map(s -> s.status).toList();
    }

    /**
     * Every Berth instance running on every host that answers (one round trip per host, in
     * parallel), adopting the ones not known yet. A host that does not answer is skipped with a
     * warning: its instances are missing from the list, not stopped.
     */
    @Override
    public List<RunningInstance> list() {
        ensureOpen();
        Map<String, Future<List<RunningInstance>>> futures = new LinkedHashMap<>();
        for (HostLink link : links.values()) {
            futures.put(link.host().id(), checks.submit(() -> round(link, true)));
        }
        List<RunningInstance> all = new ArrayList<>();
        futures.forEach((node, f) -> {
            try {
                all.addAll(f.get());
            } catch (ExecutionException e) {
                LOG.warn("list: skipping host '{}', which does not answer: {}", node, e.getCause().getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendException("list was interrupted", e);
            }
        });
        return all;
    }

    /**
     * Disk used by an app on each host that answers: its releases and its instance dirs (logs
     * included), in bytes, by node id (one round trip per host, in parallel). A host that does not
     * answer is missing from the map, with a warning.
     */
    public Map<String, Long> diskUsage(String app) {
        String name = checked("app name", app);
        ensureOpen();
        Map<String, Future<Long>> futures = new LinkedHashMap<>();
        for (HostLink link : links.values()) {
            Callable<Long> task = () -> {
                HostLink.Result r = link.run(Scripts.DISK, List.of(link.host().baseDir(), name), null,
                        options.commandTimeout);
                String out = r.text().trim();
                if (!r.ok() || !out.matches("[0-9]{1,19}")) {
                    throw new BackendException(link.where() + ": du failed: " + out + " " + r.err().trim());
                }
                return Long.parseLong(out) * 1024;
            };
            futures.put(link.host().id(), checks.submit(task));
        }
        Map<String, Long> usage = new LinkedHashMap<>();
        futures.forEach((node, f) -> {
            try {
                usage.put(node, f.get());
            } catch (ExecutionException e) {
                LOG.warn("diskUsage of app '{}': skipping host '{}': {}", name, node, e.getCause().getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendException("diskUsage was interrupted", e);
            }
        });
        return usage;
    }

    /**
     * The setup's output is reported once the setup has ended on a host: its last 200 lines, of at
     * most its last 256 KiB, each line cut after 4 KiB with "... (N bytes cut)".
     */
    @Override
    public void onBuildOutput(BuildListener listener) {
        this.buildListener = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public InstanceConsole console() {
        return console;
    }

    /** Stops the heartbeat, followers and connections; the instances keep running. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        heartbeat.shutdownNow();
        for (AutoCloseable f : followers) {
            try {
                f.close();
            } catch (Exception e) {
                LOG.debug("closing a follower: {}", e.toString());
            }
        }
        followers.clear();
        checks.shutdownNow();
        notifier.shutdown();
        liveness.values().forEach(LivenessChannel::close);
        links.values().forEach(HostLink::close);
        try {
            client.stop();
        } catch (RuntimeException e) {
            LOG.debug("stopping the SSH client: {}", e.toString());
        }
        LOG.info("SSH backend over {} closed; {} instance(s) keep running", links.keySet(), tracked.size());
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the SSH backend over " + links.keySet() + " is closed");
        }
    }


    private static String checked(String field, String value) {
        return Names.segment(field, value);
    }

    /** How many releases were copied to a host by this backend (for tests). */
    int copies() {
        return copies.get();
    }

    /** How many setups ran to success (for tests). */
    int setups() {
        return setups.get();
    }

    /** The host's liveness channel (for tests: its rounds, opens and round times). */
    LivenessChannel liveness(String node) {
        return liveness.get(node);
    }

    /** How many SSH sessions were opened to the host (for tests). */
    int connects(String node) {
        return links.get(node).connects();
    }

    @Override
    public String toString() {
        return "SshBackend" + links.keySet();
    }

    // ---------------------------------------------------------------- console

    private HostLink home(String id) {
        HostLink link = locate(id);
        if (link == null) {
            throw new BackendException("unknown instance '" + id + "': no host " + links.keySet() + " has it");
        }
        return link;
    }

    private final class Console implements InstanceConsole {
        /** Read from {@code /proc/<pid>/environ} on the host, once the pid is checked to be the instance. */
        @Override
        public Map<String, String> environment(String instanceId) {
            return inspect(instanceId).env();
        }

        @Override
        public Map<String, String> describe(String instanceId) {
            Inspected i = inspect(instanceId);
            // meta: v1 app release node port startedAtMillis workDir ports
            String[] meta = i.meta().split(" ");
            Map<String, String> d = new LinkedHashMap<>();
            d.put("backend", "ssh");
            d.put("host", i.link().where());
            d.put("pid", i.pid());
            d.put("node", meta.length > 3 ? meta[3] : "?");
            d.put("release", meta.length > 2 ? meta[2] : "?");
            d.put("started.at", meta.length > 5 ? java.time.Instant.ofEpochMilli(Long.parseLong(meta[5])).toString() : "?");
            d.put("working.dir", meta.length > 6 ? meta[6] : "?");
            String dir = i.link().host().baseDir() + "/instances/" + checked("instance id", instanceId);
            d.put("instance.dir", dir);
            d.put("output", dir + "/output.log");
            d.put("user", i.link().host().user());
            return d;
        }

        private record Inspected(HostLink link, String pid, String meta, Map<String, String> env) {
        }

        private Inspected inspect(String instanceId) {
            String id = checked("instance id", instanceId);
            ensureOpen();
            HostLink link = locate(id);
            if (link == null) {
                throw new dev.berth.api.NotFoundException("instance '" + id + "' does not run on any host " + links.keySet());
            }
            HostLink.Result r = link.run(Scripts.INSPECT, List.of(link.host().baseDir(), id), null, options.commandTimeout);
            if (r.exitCode() != null && r.exitCode() == 97) {
                throw new dev.berth.api.NotFoundException("instance '" + id + "' does not run on " + link.where());
            }
            r.requireOk("instance '" + id + "' on " + link.where() + ": cannot inspect it");
            // "pid P", "meta M", "ENVIRON", then the NUL-separated environment
            String text = r.text();
            int marker = text.indexOf("ENVIRON\n");
            if (marker < 0) {
                throw new BackendException("instance '" + id + "' on " + link.where() + ": unexpected answer: "
                        + Names.printable(text.trim()));
            }
            String pid = "?";
            String meta = "";
            for (String line : text.substring(0, marker).split("\n")) {
                if (line.startsWith("pid ")) {
                    pid = line.substring(4);
                } else if (line.startsWith("meta ")) {
                    meta = line.substring(5);
                }
            }
            Map<String, String> env = new LinkedHashMap<>();
            for (String entry : text.substring(marker + "ENVIRON\n".length()).split("\0")) {
                int eq = entry.indexOf('=');
                if (eq > 0) {
                    env.put(entry.substring(0, eq), entry.substring(eq + 1));
                }
            }
            return new Inspected(link, pid, meta, env);
        }

        @Override
        public List<String> logs(String instanceId, int lines) {
            String id = checked("instance id", instanceId);
            if (lines < 0) {
                throw new IllegalArgumentException("lines " + lines + " is not allowed: must be 0 or more");
            }
            ensureOpen();
            HostLink link = home(id);
            if (lines == 0) {
                return List.of();
            }
            HostLink.Result r = link.run(Scripts.LOGS, List.of(link.host().baseDir(), id, Integer.toString(lines),
                    Integer.toString(OutputCaps.ANSWER_BYTES)), null, options.commandTimeout);
            if (r.exitCode() != null && r.exitCode() == 97) {
                throw new BackendException("unknown instance '" + id + "': no instance dir on " + link.where());
            }
            r.requireOk("instance '" + id + "' on " + link.where() + ": cannot read its output");
            return OutputCaps.lastLines(r.lines(), lines, OutputCaps.ANSWER_BYTES);
        }

        @Override
        public AutoCloseable follow(String instanceId, Consumer<String> consumer) {
            String id = checked("instance id", instanceId);
            Objects.requireNonNull(consumer, "consumer");
            ensureOpen();
            HostLink link = home(id);
            Follower f = Follower.open(link, Scripts.FOLLOW, List.of(link.host().baseDir(), id), consumer,
                    "instance '" + id + "' on " + link.where(), options.commandTimeout);
            followers.add(f);
            return () -> {
                followers.remove(f);
                f.close();
            };
        }

        @Override
        public ExecResult exec(String instanceId, List<String> argv, Duration timeout) {
            String id = checked("instance id", instanceId);
            Objects.requireNonNull(argv, "argv");
            Objects.requireNonNull(timeout, "timeout");
            if (argv.isEmpty() || argv.stream().anyMatch(a -> a == null || a.indexOf('\0') >= 0)) {
                throw new IllegalArgumentException("argv " + argv + " is not allowed: must be a non-empty list of "
                        + "arguments without NUL");
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout " + timeout + " is not allowed: must be positive");
            }
            ensureOpen();
            HostLink link = home(id);
            long secs = Math.max(1, (timeout.toMillis() + 999) / 1000);
            List<String> args = new ArrayList<>(List.of(link.host().baseDir(), id, Long.toString(secs)));
            args.addAll(argv);
            LOG.info("instance '{}' on {}: exec {}", id, link.where(), argv.get(0));
            LOG.debug("instance '{}': exec argv {}", id, argv);
            HostLink.Result r = link.run(Scripts.EXEC, args, null, timeout.plusSeconds(10));
            if (r.exitCode() == null) {
                throw new BackendException("instance '" + id + "' on " + link.where() + ": exec " + argv.get(0)
                        + " ended without an exit status");
            }
            if (r.exitCode() == 97 && r.err().contains("berth: no such instance")) {
                throw new BackendException("unknown instance '" + id + "': no instance dir on " + link.where());
            }
            byte[] bytes = r.out();
            String output = new String(bytes, 0, Math.min(bytes.length, EXEC_OUTPUT_CAP), StandardCharsets.UTF_8);
            if (bytes.length > EXEC_OUTPUT_CAP) {
                output += "\n[berth: output cut at " + EXEC_OUTPUT_CAP + " bytes]\n";
            }
            if (r.exitCode() == 124) {
                output += (output.isEmpty() || output.endsWith("\n") ? "" : "\n") + "[berth: killed after the timeout of "
                        + timeout + "]\n";
            }
            return new ExecResult(r.exitCode(), output);
        }

    }

    // ---------------------------------------------------------------- builder

    /**
     * Builds a {@link SshBackend}. Each setter checks its value at once and throws an
     * {@link IllegalArgumentException} naming the option, the value and what is allowed;
     * {@link #build()} loads every host's private key (a bad one fails the build) and starts the
     * heartbeat. Not thread-safe; {@link #build()} returns an independent backend.
     */
    public static final class Builder {
        private final Map<String, SshHost> hosts = new LinkedHashMap<>();
        private Duration connectTimeout = Duration.ofSeconds(3);
        private Duration authTimeout = Duration.ofSeconds(5);
        private Duration commandTimeout = Duration.ofSeconds(30);
        private Duration heartbeat = Duration.ofSeconds(1);
        private Duration checkTimeout = Duration.ofSeconds(3);
        private int portFrom = 8000;
        private int portTo = 9000;
        private Duration setupTimeout = Duration.ofMinutes(10);
        private Duration copyTimeout = Duration.ofMinutes(10);
        private long logMaxBytes = 10L << 20;
        private int maxChannels = 8;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** Adds a host (at least one is required; node ids must be unique). */
        public Builder host(SshHost host) {
            if (host == null) {
                throw new IllegalArgumentException("host null is not allowed: must be an SshHost");
            }
            if (hosts.containsKey(host.id())) {
                throw new IllegalArgumentException("host '" + host.id() + "' is not allowed: a host with that id is "
                        + "already added (node ids must be unique)");
            }
            hosts.put(host.id(), host);
            return this;
        }

        /** Adds hosts, e.g. {@code SshHosts.load(file)}. */
        public Builder hosts(Collection<SshHost> hosts) {
            if (hosts == null) {
                throw new IllegalArgumentException("hosts null is not allowed: must be a collection of SshHost");
            }
            hosts.forEach(this::host);
            return this;
        }

        /** How long a TCP connect to sshd may take (default 3 s; 100 ms-5 min). */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = within("connectTimeout", connectTimeout, Duration.ofMillis(100), Duration.ofMinutes(5));
            return this;
        }

        /** How long key exchange and public-key login may take (default 5 s; 100 ms-5 min). */
        public Builder authTimeout(Duration authTimeout) {
            this.authTimeout = within("authTimeout", authTimeout, Duration.ofMillis(100), Duration.ofMinutes(5));
            return this;
        }

        /** How long a short control command (start, logs, list, du) may take (default 30 s; 1 s-1 h). */
        public Builder commandTimeout(Duration commandTimeout) {
            this.commandTimeout = within("commandTimeout", commandTimeout, Duration.ofSeconds(1), Duration.ofHours(1));
            return this;
        }

        /** How often every host is checked in the background (default 1 s; 100 ms-1 h; ZERO turns it off). */
        public Builder heartbeat(Duration heartbeat) {
            if (heartbeat != null && heartbeat.isZero()) {
                this.heartbeat = heartbeat;
                return this;
            }
            this.heartbeat = within("heartbeat", heartbeat, Duration.ofMillis(100), Duration.ofHours(1));
            return this;
        }

        /**
         * How long a host may take to answer one liveness round on its open liveness channel
         * before it counts as not answering and its session is dropped (default 3 s; 100 ms-5 min).
         * Opening that channel (once per session: the host's login shell starts then) is not
         * counted: it may take up to {@code commandTimeout} as long as sshd answers a keepalive
         * within {@code checkTimeout}.
         */
        public Builder checkTimeout(Duration checkTimeout) {
            this.checkTimeout = within("checkTimeout", checkTimeout, Duration.ofMillis(100), Duration.ofMinutes(5));
            return this;
        }

        /** The inclusive range RANDOM_PORT values are drawn from on every host (default 8000-9000). */
        public Builder portRange(int from, int to) {
            if (from < 1 || to > 65535 || from > to) {
                throw new IllegalArgumentException("portRange " + from + "-" + to + " is not allowed: must satisfy "
                        + "1 <= from <= to <= 65535");
            }
            this.portFrom = from;
            this.portTo = to;
            return this;
        }

        /** How long an app's setup may run on a host before it is killed and the start fails (default 10 min; 1 s-1 d). */
        public Builder setupTimeout(Duration setupTimeout) {
            this.setupTimeout = within("setupTimeout", setupTimeout, Duration.ofSeconds(1), Duration.ofDays(1));
            return this;
        }

        /** How long copying a release to a host may take (default 10 min; 1 s-1 d). */
        public Builder copyTimeout(Duration copyTimeout) {
            this.copyTimeout = within("copyTimeout", copyTimeout, Duration.ofSeconds(1), Duration.ofDays(1));
            return this;
        }

        /**
         * The size above which an instance's output.log is rotated, checked every minute (default
         * 10 MiB; at least 1024): its last {@code logMaxBytes} become output.log.1 (never larger)
         * and output.log starts empty.
         */
        public Builder logMaxBytes(long logMaxBytes) {
            if (logMaxBytes < 1024) {
                throw new IllegalArgumentException("logMaxBytes " + logMaxBytes + " is not allowed: must be at least 1024");
            }
            this.logMaxBytes = logMaxBytes;
            return this;
        }

        /**
         * How many command channels may be open at once on a host's session (default 8; 1-64), plus
         * one kept for liveness checks. OpenSSH refuses more than its MaxSessions (10 by default).
         */
        public Builder maxChannelsPerHost(int maxChannels) {
            if (maxChannels < 1 || maxChannels > 64) {
                throw new IllegalArgumentException("maxChannelsPerHost " + maxChannels + " is not allowed: must be 1-64");
            }
            this.maxChannels = maxChannels;
            return this;
        }

        /** The clock for start times, exits and contacts (default the system clock, UTC). */
        public Builder clock(Clock clock) {
            if (clock == null) {
                throw new IllegalArgumentException("clock null is not allowed: must be a Clock");
            }
            this.clock = clock;
            return this;
        }

        private static Duration within(String option, Duration value, Duration min, Duration max) {
            if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                throw new IllegalArgumentException(option + " " + value + " is not allowed: must be " + min + " to " + max);
            }
            return value;
        }

        /** A backend over these hosts; loads their private keys and starts the heartbeat. */
        public SshBackend build() {
            if (hosts.isEmpty()) {
                throw new IllegalArgumentException("hosts is empty: at least one host is required");
            }
            Map<Path, List<KeyPair>> byFile = new HashMap<>();
            Map<String, List<KeyPair>> keys = new HashMap<>();
            for (SshHost h : hosts.values()) {
                List<KeyPair> k = byFile.get(h.privateKey());
                if (k == null) {
                    k = loadKeys(h);
                    byFile.put(h.privateKey(), k);
                }
                keys.put(h.id(), k);
            }
            return new SshBackend(this, keys);
        }

        private static List<KeyPair> loadKeys(SshHost h) {
            Path file = h.privateKey();
            String where = "host '" + h.id() + "': privateKey '" + file + "' is not allowed: ";
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new IllegalArgumentException(where + "must be a readable private key file");
            }
            List<KeyPair> list = new ArrayList<>();
            try (InputStream in = Files.newInputStream(file)) {
                Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(file.toString()),
                        in, FilePasswordProvider.EMPTY);
                if (pairs != null) {
                    pairs.forEach(list::add);
                }
            } catch (IOException | java.security.GeneralSecurityException | RuntimeException e) {
                throw new IllegalArgumentException(where + "cannot load it (it must be an unencrypted OpenSSH or PEM "
                        + "private key: ed25519, ECDSA or RSA): " + e.getMessage(), e);
            }
            if (list.isEmpty()) {
                throw new IllegalArgumentException(where + "it holds no private key");
            }
            return list;
        }
    }

}
