package dev.berth.router.haproxy;

import dev.berth.api.BerthException;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.Router;
import dev.berth.api.RoutingTable;
import dev.berth.api.Tls;
import dev.berth.api.Traffic;
import dev.berth.support.ListeningSockets;
import dev.berth.support.ProxyCommands;
import dev.berth.support.ProxyEnvironment;
import dev.berth.support.ProxyProcess;
import dev.berth.support.ProxyUser;
import dev.berth.support.ProxyWatch;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Router} that sends each domain to its app's healthy endpoints through haproxy.
 *
 * <p>{@link #apply} compares the new table with what haproxy runs. When only endpoints changed
 * (same domains, apps, balance, TLS and settings) and the new ones fit the backends' free server
 * slots, it moves them through haproxy's <b>Runtime API</b> on the admin socket ({@code set server
 * ... addr/state}), without a reload, and returns once haproxy confirms the new server states.
 * Anything else <b>reloads</b>: the whole configuration is rendered (one frontend choosing the
 * backend by Host header, one backend per app with {@code server-template} slots, 503 for an app
 * without healthy endpoints, 404 for unknown hosts), validated with {@code haproxy -c}, renamed
 * over the current file, and haproxy's master re-executes with it, handing the listening sockets to
 * the new worker so that no connection is refused; {@code apply} returns once the new worker
 * answers the generation probe and the old one stopped accepting. On any failure the previous file
 * is put back, the running haproxy keeps serving the previous configuration and a
 * {@link BerthException} carries haproxy's own error text.
 *
 * <p>Two modes. <b>Owned</b> ({@link Builder#prefix}): the router starts its own haproxy in
 * master-worker mode, as the current user (when that is root, the workers run as
 * {@link Builder#proxyUser}, default {@code www-data}), with only PATH and the locale in its
 * environment, with everything under the prefix directory
 * ({@code conf/haproxy.cfg}, {@code run/haproxy.pid}, {@code run/admin.sock},
 * {@code run/master.sock}, {@code logs/access.log}, {@code logs/haproxy.log}), listening on
 * {@link Builder#httpPort} (and {@link Builder#httpsPort} while some route has TLS) of
 * {@link Builder#listenAddress}, in a session of its own (a Ctrl-C in the host application's
 * terminal does not reach it), and stops it on {@link #close} unless
 * {@link Builder#keepRunningOnClose} (then, as after {@link #detach()}, it serves on with its last
 * configuration); when an earlier router on the same prefix left its haproxy running (its JVM
 * exited or was killed), the new one adopts that haproxy instead of starting another. A daemon
 * thread checks every {@link Builder#livenessInterval} (and each {@link #apply} before it changes
 * anything) that the owned haproxy runs: one that died (killed, crashed) is started again with the
 * last good configuration and the log says "haproxy (pid N) was not running; started it again".
 * <b>External</b>
 * ({@link Builder#external}): an haproxy started by someone else with the given config file; the
 * router writes that file, validates it, runs the given reload command and, since the file it
 * writes declares the admin socket under the prefix, uses the Runtime API too once haproxy runs
 * that file; it leaves haproxy running on close.
 *
 * <p>{@link #traffic()} sums requests and bytes sent per domain from the access log. The log goes
 * to haproxy's standard output ({@code log stdout format raw}), which in owned mode the router
 * opens on {@code logs/access.log} in append mode. That transport is exact: haproxy writes each line
 * with one {@code writev()}, which on a regular file never blocks nor comes back short (haproxy
 * drops lines only when a write would block, as on a full pipe or socket, or when its threads
 * contend for the log lock, which cannot happen with one thread, the default), and the old and new
 * workers of a reload append whole lines to the same file. UDP syslog drops under load, Java has no
 * UNIX datagram sockets, and haproxy's ring buffers are lost on reload.
 *
 * <p>Thread-safe: {@code apply}, {@code check}, {@code traffic} and {@code close} are serialized by
 * one lock.
 */
public final class HaproxyRouter implements Router {
    private static final Logger LOG = LoggerFactory.getLogger(HaproxyRouter.class);
    private static final Path DEBIAN_HAPROXY = Path.of("/usr/sbin/haproxy");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(5);
    private static final Pattern VERSION = Pattern.compile("(?i)HA-?Proxy version (\\d+)\\.(\\d+)");
    private static final Pattern IN_USE = Pattern.compile("Address already in use\\) for \\[([^\\]]*):(\\d+)\\]");
    private static final FileAttribute<?> OWNER_ONLY_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<?> OWNER_ONLY_DIR =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    /** How the last {@link #apply} reached haproxy. */
    public enum ApplyPath {
        /** Nothing to change: haproxy already served the table. */
        UNCHANGED,
        /** Endpoints moved through the Runtime API; no reload. */
        RUNTIME_API,
        /** A new configuration was validated and loaded by a reload. */
        RELOAD
    }

    private final Object lock = new Object();
    private final HaproxyConfig.Settings settings;
    private final Path binary;
    private final Path configFile;
    private final List<String> reloadCommand; // empty when owned
    private final Duration reloadTimeout;
    private final boolean keepRunningOnClose;
    private final Duration livenessInterval;
    /** Restarts the owned haproxy when it died; null in external mode and before the start. */
    private volatile ProxyWatch watch;
    /** The pid of an owned master that died and was not started again yet; -1 for none. Guarded by lock. */
    private long diedMaster = -1;
    private final String nonce = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    // guarded by lock
    private final AccessLog accessLog;
    private final Map<Tls, Pem> pems = new HashMap<>();
    private long generation;
    private String currentGeneration;
    private HaproxyConfig.Files currentFiles;
    private Layout current; // what haproxy runs; null while unknown (external mode, before the first apply)
    private String lastGood;
    private final ProxyProcess master; // started, or adopted from an earlier router
    private boolean closed;
    private ApplyPath lastPath = ApplyPath.UNCHANGED;
    private long reloads;
    private UnaryOperator<String> renderHook = UnaryOperator.identity();

    /** A combined certificate and key file's content, and the state of the two files it came from. */
    private record Pem(byte[] content, String digest, Object certStamp, Object keyStamp) {
    }

    private HaproxyRouter(Builder b, Path binary, ProxyUser user) {
        this.binary = binary;
        this.settings = new HaproxyConfig.Settings(b.prefix, b.listenAddress, b.httpPort, b.httpsPort, b.threads,
                user == null ? null : user.name(), user == null ? null : user.group());
        this.configFile = b.configFile != null ? b.configFile : settings.conf();
        this.reloadCommand = b.reloadCommand;
        this.reloadTimeout = b.reloadTimeout;
        this.keepRunningOnClose = b.keepRunningOnClose;
        this.livenessInterval = b.livenessInterval;
        this.master = new ProxyProcess("haproxy", b.listenAddress, b.httpPort, b.httpsPort, b.reloadTimeout);
        try {
            Files.createDirectories(configFile.getParent());
            Files.createDirectories(settings.conf().getParent());
            Files.createDirectories(settings.adminSocket().getParent());
            Files.createDirectories(settings.accessLog().getParent());
            Files.createDirectories(settings.temp());
            this.accessLog = AccessLog.fromEnd(settings.accessLog());
            if (Files.exists(configFile)) {
                lastGood = Files.readString(configFile);
            }
        } catch (IOException e) {
            throw new BerthException("haproxy router: cannot prepare " + settings.prefix() + ": " + e.getMessage(), e);
        }
    }

    /** A builder; set {@link Builder#prefix} (owned haproxy) or {@link Builder#external}. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void apply(RoutingTable table) {
        Objects.requireNonNull(table, "table");
        HaproxyConfig.validate(table); // bad names change nothing
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("haproxy router is closed");
            }
            long started = System.nanoTime();
            Map<String, Pem> certificates = certificates(table); // unreadable files change nothing
            reviveIfExited(); // a killed haproxy serves again before anything changes
            Map<String, String> digests = new TreeMap<>();
            certificates.forEach((domain, pem) -> digests.put(domain, pem.digest()));
            Planner.Plan plan = Planner.plan(current, table, digests);
            if (plan instanceof Planner.Unchanged) {
                lastPath = ApplyPath.UNCHANGED;
                LOG.debug("haproxy router: nothing changed");
                revive();
                return;
            }
            if (plan instanceof Planner.Runtime runtime) {
                try {
                    runtime(runtime);
                    revive();
                    lastPath = ApplyPath.RUNTIME_API;
                    LOG.info("haproxy router: {} command(s) through the Runtime API for {} after {} us",
                            runtime.commands().size(), runtime.backends(), (System.nanoTime() - started) / 1_000);
                    return;
                } catch (RuntimeApiException e) {
                    LOG.warn("haproxy router: the Runtime API failed, reloading instead: {}", e.getMessage());
                    // some commands may have taken effect: what runs is not known until a reload succeeds
                    current = null;
                    plan = new Planner.Reload(Layout.of(table, digests), "the Runtime API failed");
                }
            }
            Planner.Reload reload = (Planner.Reload) plan;
            long[] steps;
            try {
                steps = reload(reload.layout(), certificates);
            } catch (BerthException e) {
                if (!master.exited()) {
                    throw e;
                }
                reviveIfExited(); // it died under the reload: the last good table serves again, then this one
                steps = reload(reload.layout(), certificates);
            }
            reloads++;
            lastPath = ApplyPath.RELOAD;
            long done = System.nanoTime();
            LOG.info("haproxy router: {} domain(s) serving (generation {}, reloaded because {}) after {} ms: render "
                    + "and haproxy -c {} ms, reload until the new generation answers {} ms, until the old worker "
                    + "stopped listening {} ms", table.routes().size(), currentGeneration, reload.reason(),
                    millis(done - started), millis(steps[0] - started), millis(steps[1] - steps[0]),
                    millis(done - steps[1]));
        }
    }

    /**
     * Renders {@code table} as a reload would and has {@code haproxy -c} validate it, with its map
     * files and certificates in a scratch directory, without installing or reloading anything (a
     * dry run): haproxy keeps serving what it serves. The ports are not probed.
     *
     * @return the configuration text that haproxy accepted (its generation probe answers "check")
     * @throws InvalidSpecException for a domain, app name or path that is not plain, or a
     *                              certificate or key file that cannot be read
     * @throws BerthException with haproxy's message when {@code haproxy -c} rejects the configuration
     * @throws IllegalStateException when the router is closed
     */
    public String check(RoutingTable table) {
        Objects.requireNonNull(table, "table");
        HaproxyConfig.validate(table);
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("haproxy router is closed");
            }
            Map<String, Pem> certificates = certificates(table);
            Map<String, String> digests = new TreeMap<>();
            certificates.forEach((domain, pem) -> digests.put(domain, pem.digest()));
            Layout layout = Layout.of(table, digests);
            Path dir = null;
            try {
                dir = Files.createTempDirectory(settings.temp(), "check-", OWNER_ONLY_DIR);
                HaproxyConfig.Files files = new HaproxyConfig.Files(dir);
                writeGeneration(files, layout, certificates);
                String text = HaproxyConfig.render(layout, settings, files, "check");
                Path file = dir.resolve("haproxy.cfg");
                writeAtomically(file, text.getBytes(StandardCharsets.UTF_8), null);
                test(file);
                return text;
            } catch (IOException e) {
                throw new BerthException("haproxy router: cannot write under " + settings.temp() + ": "
                        + e.getMessage(), e);
            } finally {
                if (dir != null) {
                    deleteTree(dir);
                }
            }
        }
    }

    /** Requests and bytes sent per domain since the router was built, from haproxy's access log. */
    @Override
    public Map<String, Traffic> traffic() {
        synchronized (lock) {
            try {
                return accessLog.read();
            } catch (IOException e) {
                throw new BerthException("haproxy router: cannot read access log " + settings.accessLog() + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /** The configuration file the router writes. */
    public Path configFile() {
        return configFile;
    }

    /** The process id of the haproxy master this router started (or adopted), when it runs. */
    public OptionalLong ownedPid() {
        synchronized (lock) {
            return master.livePid();
        }
    }

    /** How the last {@link #apply} reached haproxy. */
    public ApplyPath lastApplyPath() {
        synchronized (lock) {
            return lastPath;
        }
    }

    /** How many times {@link #apply} reloaded haproxy (the start of an owned haproxy not counted). */
    public long reloads() {
        synchronized (lock) {
            return reloads;
        }
    }

    /** The pid of the worker that answers the admin socket, if one does. */
    OptionalLong workerPid() {
        return Cli.workerPid(settings.adminSocket(), CLI_TIMEOUT);
    }

    /** For tests: changes the rendered text before it is validated (e.g. to make it invalid). */
    void renderHook(UnaryOperator<String> hook) {
        synchronized (lock) {
            this.renderHook = Objects.requireNonNull(hook, "hook");
        }
    }

    HaproxyConfig.Settings settings() {
        return settings;
    }

    /** Whether the owned haproxy was already running when this router was built (it adopted it). */
    public boolean adopted() {
        synchronized (lock) {
            return master.adopted();
        }
    }

    /**
     * Closes this router but leaves its owned haproxy serving its last configuration, as if this
     * JVM had been killed: a new router on the same prefix adopts it. For a caller that gives up
     * after building the router and must not take down an haproxy it adopted. Idempotent.
     */
    public void detach() {
        stopWatch();
        synchronized (lock) {
            if (!closed) {
                master.detach(settings.prefix());
            }
            closed = true;
        }
    }

    /**
     * Closes this router: stops the owned haproxy, or, with {@link Builder#keepRunningOnClose},
     * leaves it serving as {@link #detach()} does. An external haproxy always runs on. Idempotent.
     */
    @Override
    public void close() {
        if (keepRunningOnClose) {
            detach();
        } else {
            stop();
        }
    }

    /**
     * Closes this router and stops the owned haproxy (started or adopted) and its workers, whatever
     * {@link Builder#keepRunningOnClose} says. Idempotent.
     */
    public void stop() {
        stopWatch();
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (master.owned()) {
                boolean died = master.exited();
                master.stop();
                if (died) {
                    retireOrphans();
                }
                LOG.info("haproxy router: stopped haproxy (prefix {})", settings.prefix());
            }
        }
    }

    private void stopWatch() {
        ProxyWatch w = watch;
        if (w != null) {
            w.close(); // outside the lock: a check in progress takes it
        }
    }

    /**
     * When the owned haproxy has exited (killed, crashed): stops any haproxy process it left
     * holding the ports, starts haproxy again with the last good configuration (its generation's
     * files are kept) and says so. Called with the lock held, by the watch and before each apply.
     */
    private void reviveIfExited() {
        if (closed || (!master.exited() && diedMaster < 0)) {
            return;
        }
        if (master.exited()) {
            diedMaster = master.pid();
            master.forget();
        }
        long dead = diedMaster; // until a start succeeds: a failed one is tried again at the next check
        retireOrphans();
        String gen = currentGeneration != null ? currentGeneration
                : lastGood == null ? null : HaproxyConfig.generationOf(lastGood);
        if (gen == null || !Files.isDirectory(settings.generationDir(gen))) {
            gen = launchEmpty(); // not a file of this router's: serve an empty table until the next apply
        } else {
            restore(); // the file holds the last good configuration
            launch(gen);
        }
        LOG.warn("haproxy router: haproxy (pid {}) was not running; started it again: haproxy {} serves {} with the "
                + "last good configuration (generation {})", dead, master.pid(), settings.listen(), gen);
        diedMaster = -1;
    }

    /** Stops the haproxy processes still listening on this router's ports without a master. */
    private void retireOrphans() {
        try {
            ListeningSockets.retireOrphans("haproxy", InetAddress.getByName(settings.listenAddress()),
                    Set.of(settings.httpPort(), settings.httpsPort()), reloadTimeout);
        } catch (IOException e) {
            LOG.warn("haproxy router: cannot resolve {}: {}", settings.listenAddress(), e.getMessage());
        }
    }

    // --- owned haproxy -----------------------------------------------------------------------

    private void start() {
        if (adopt()) {
            return;
        }
        checkPortFree(settings.httpPort(), "httpPort");
        String gen = launchEmpty();
        deleteGenerationsBut(gen);
        LOG.info("haproxy router: haproxy {} serving {} with prefix {}", master.pid(), settings.listen(),
                settings.prefix());
    }

    /** Writes a new generation with no route, installs it, starts haproxy on it; returns the generation. */
    private String launchEmpty() {
        Layout layout = Layout.empty();
        String gen = nonce + "-" + (++generation);
        HaproxyConfig.Files files = new HaproxyConfig.Files(settings.generationDir(gen));
        writeGeneration(files, layout, Map.of());
        String text = HaproxyConfig.render(layout, settings, files, gen);
        install(text);
        launch(gen);
        current = layout;
        lastGood = text;
        currentGeneration = gen;
        currentFiles = files;
        return gen;
    }

    /** Starts the haproxy master on the installed config file and waits until it serves {@code gen}. */
    private void launch(String gen) {
        // in a session of its own: a Ctrl-C in the terminal of this JVM does not reach haproxy
        List<String> argv = ProxyProcess.inNewSession(List.of(binary.toString(), "-W", "-f", configFile.toString(),
                "-S", settings.masterSocket() + ",mode,600"));
        try {
            // only PATH and the locale: none of this JVM's secrets reach haproxy or its workers
            master.started(ProxyEnvironment.restrict(new ProcessBuilder(argv))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(settings.accessLog().toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(settings.haproxyLog().toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start().toHandle());
        } catch (IOException e) {
            throw new BerthException("haproxy router: cannot start " + argv + ": " + e.getMessage(), e);
        }
        try {
            awaitGeneration(gen, -1);
        } catch (BerthException e) {
            String said = tail(settings.haproxyLog());
            master.stop();
            master.forget();
            BerthException inUse = portInUse(said, e);
            if (inUse != null) {
                throw inUse;
            }
            throw new BerthException("haproxy router: haproxy did not start (prefix " + settings.prefix() + "): "
                    + e.getMessage() + ": " + said.strip(), e);
        }
    }

    /**
     * Keeps serving with the haproxy that an earlier router with this prefix started and left
     * running (its JVM was killed, say): the pid file names a live haproxy master whose command
     * line reads this router's config file. It keeps its access log and sockets; what it runs is
     * taken as unknown, so that the next {@link #apply} reloads; {@link #close} stops it.
     */
    private boolean adopt() {
        ProcessHandle h = ProxyProcess.fromPidFile(settings.pidFile()).orElse(null); // none: nothing to adopt
        List<String> argv = h == null ? List.of() : commandLine(h);
        int f = argv.indexOf("-f");
        if (argv.isEmpty() || !argv.get(0).endsWith("haproxy") || f < 0 || f + 1 >= argv.size()
                || !argv.get(f + 1).equals(configFile.toString()) || !argv.contains("-W")) {
            return false; // a stale pid file, or the pid is someone else's now
        }
        master.adopt(h);
        current = null;
        LOG.info("haproxy router: adopted haproxy {} already serving {} with prefix {}", h.pid(), settings.listen(),
                settings.prefix());
        return true;
    }

    private static List<String> commandLine(ProcessHandle h) {
        try {
            String raw = new String(Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline")),
                    StandardCharsets.UTF_8);
            return List.of(raw.split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    private void checkPortFree(int port, String option) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(settings.listenAddress()), port));
        } catch (IOException e) {
            throw new BerthException("haproxy router: port " + port + " on " + settings.listenAddress()
                    + " is already in use (" + e.getMessage() + "); choose a free port with " + option + "(...)", e);
        }
    }

    /** Whether the configuration {@code text} (the one haproxy runs) listens on the HTTPS port. */
    private boolean listensHttps(String text) {
        return text != null && text.contains("\n    bind " + settings.listenHttps() + " ssl ");
    }

    /** The clear error for haproxy's "Address already in use", or {@code null} when it did not say so. */
    private BerthException portInUse(String said, Exception cause) {
        Matcher m = IN_USE.matcher(said);
        if (!m.find()) {
            return null;
        }
        int port = Integer.parseInt(m.group(2));
        String option = port == settings.httpsPort() ? " with httpsPort(...)"
                : port == settings.httpPort() ? " with httpPort(...)" : "";
        return new BerthException("haproxy router: port " + port + " on " + m.group(1) + " is already in use; "
                + "choose a free port" + option + ": " + said.strip(), cause);
    }

    // --- Runtime API ---------------------------------------------------------------------------

    /** A Runtime API command failed or haproxy's state did not come out as planned. */
    private static final class RuntimeApiException extends Exception {
        private static final long serialVersionUID = 1L;

        RuntimeApiException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Writes the file with the new slots (so that a later reload, by anyone, keeps the endpoints;
     * no {@code haproxy -c}, as only server addresses differ from the validated file), sends the
     * commands, and checks haproxy's {@code show servers state} of the touched backends.
     */
    private void runtime(Planner.Runtime plan) throws RuntimeApiException {
        String text = HaproxyConfig.render(plan.layout(), settings, currentFiles, currentGeneration);
        try {
            writeAtomically(configFile, text.getBytes(StandardCharsets.UTF_8), null);
        } catch (IOException e) {
            throw new BerthException("haproxy router: cannot write " + configFile + ": " + e.getMessage(), e);
        }
        // the commands, then the state of the backends they touch: one round trip when it fits a line
        List<String> commands = new ArrayList<>(plan.commands());
        plan.backends().forEach(b -> commands.add("show servers state " + b));
        String answer;
        try {
            answer = Cli.callAll(settings.adminSocket(), commands, CLI_TIMEOUT);
        } catch (IOException e) {
            throw new RuntimeApiException("admin socket " + settings.adminSocket() + ": " + e.getMessage(), e);
        }
        Map<String, ServerState> states = ServerState.parse(answer);
        List<String> wrong = new ArrayList<>();
        for (String b : plan.backends()) {
            wrong.addAll(ServerState.mismatches(plan.layout().backends().get(b), states));
        }
        if (!wrong.isEmpty()) {
            // what the commands answered, without the state table (its format version line included)
            String said = answer.lines().filter(l -> !l.isBlank() && !l.startsWith("#") && !l.matches("\\d+")
                    && l.split(" ").length < 19).collect(Collectors.joining(" | "));
            throw new RuntimeApiException(String.join("; ", wrong) + " (haproxy said: " + said + ")", null);
        }
        lastGood = text;
        current = plan.layout();
    }

    /** Puts up the servers haproxy's checks hold down although the table lists them ({@link Revival}). */
    private void revive() {
        try {
            List<String> up = Revival.revive(settings.adminSocket(), current, CLI_TIMEOUT);
            if (!up.isEmpty()) {
                LOG.info("haproxy router: {} held down by its health checks, listed as ready by the table: put up",
                        up);
            }
        } catch (IOException e) {
            LOG.warn("haproxy router: cannot read the server states on {}: {}", settings.adminSocket(),
                    e.getMessage());
        }
    }

    // --- render, validate, swap, reload ------------------------------------------------------

    /** Reloads with {@code layout}; returns when it was validated and when the new generation answered. */
    private long[] reload(Layout layout, Map<String, Pem> certificates) {
        if (layout.usesTls() && !listensHttps(lastGood)) {
            checkPortFree(settings.httpsPort(), "httpsPort"); // the first TLS route opens the port
        }
        String gen = nonce + "-" + (++generation);
        HaproxyConfig.Files files = new HaproxyConfig.Files(settings.generationDir(gen));
        long[] steps = new long[2];
        try {
            writeGeneration(files, layout, certificates);
            String text = renderHook.apply(HaproxyConfig.render(layout, settings, files, gen));
            install(text);
            steps[0] = System.nanoTime();
            try {
                steps[1] = reloadProcess(gen);
            } catch (BerthException e) {
                restore();
                throw e;
            }
            lastGood = text;
        } catch (BerthException e) {
            deleteTree(files.dir());
            throw e;
        }
        current = layout;
        currentGeneration = gen;
        currentFiles = files;
        deleteGenerationsBut(gen);
        return steps;
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    /** Writes the generation's map files, combined certificates (mode 0600) and crt-list. */
    private void writeGeneration(HaproxyConfig.Files files, Layout layout, Map<String, Pem> certificates) {
        try {
            Files.createDirectories(files.dir().getParent());
            if (!Files.isDirectory(files.dir())) {
                Files.createDirectory(files.dir(), OWNER_ONLY_DIR);
            }
            writeAtomically(files.httpMap(), HaproxyConfig.httpMap(layout).getBytes(StandardCharsets.UTF_8), null);
            writeAtomically(files.httpsMap(), HaproxyConfig.httpsMap(layout).getBytes(StandardCharsets.UTF_8), null);
            for (Map.Entry<String, Pem> e : certificates.entrySet()) {
                writeAtomically(files.pem(e.getKey()), e.getValue().content(), OWNER_ONLY_FILE);
            }
            writeAtomically(files.crtList(), HaproxyConfig.crtList(layout, files).getBytes(StandardCharsets.UTF_8),
                    null);
        } catch (IOException e) {
            deleteTree(files.dir());
            throw new BerthException("haproxy router: cannot write " + files.dir() + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code text} beside the config file, validates it with haproxy -c, renames it over. */
    private void install(String text) {
        Path next = configFile.resolveSibling(configFile.getFileName() + ".next");
        try {
            writeAtomically(next, text.getBytes(StandardCharsets.UTF_8), null);
            test(next);
            move(next, configFile);
        } catch (IOException e) {
            throw new BerthException("haproxy router: cannot write " + next + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(next);
            } catch (IOException ignored) {
                // the next apply overwrites it
            }
        }
    }

    /** Validates {@code file} with haproxy -c; throws haproxy's alerts when it refuses it. */
    private void test(Path file) {
        ProxyCommands.Result r = ProxyCommands.run(List.of(binary.toString(), "-c", "-f", file.toString()),
                settings.temp(), COMMAND_TIMEOUT);
        if (!r.ok()) {
            throw new BerthException("haproxy router: haproxy -c rejected the new configuration; the previous "
                    + "one keeps serving: " + problems(r.output()));
        }
        if (r.output().contains("[WARNING]")) {
            LOG.warn("haproxy router: haproxy -c warns: {}", problems(r.output()));
        }
    }

    /** haproxy's alerts and warnings, without its version notices. */
    private static String problems(String output) {
        String said = output.lines().filter(l -> l.contains("[ALERT]") || l.contains("[WARNING]"))
                .collect(Collectors.joining("\n"));
        return said.isEmpty() ? output.strip() : said;
    }

    /** Writes a file beside {@code target}, forces it to disk and renames it over {@code target}. */
    private static void writeAtomically(Path target, byte[] content, FileAttribute<?> mode) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Set<StandardOpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try (FileChannel ch = mode == null ? FileChannel.open(tmp, options) : FileChannel.open(tmp, options, mode)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        move(tmp, target);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Puts the last good file back after a failed reload; haproxy itself kept running it. */
    private void restore() {
        if (lastGood == null) {
            return;
        }
        try {
            writeAtomically(configFile, lastGood.getBytes(StandardCharsets.UTF_8), null);
        } catch (IOException e) {
            LOG.error("haproxy router: could not put the last good configuration back into {}: {}", configFile,
                    e.getMessage());
        }
    }

    /** Reloads haproxy and waits until it serves generation {@code gen}; returns when it answered it. */
    private long reloadProcess(String gen) {
        if (master.exited()) {
            throw new BerthException("haproxy router: the owned haproxy (pid " + master.pid() + ") has exited: "
                    + tail(settings.haproxyLog()));
        }
        // the workers that take connections now: the one behind the admin socket, and any haproxy
        // holding the listening sockets (an external haproxy may have run a file without the socket)
        Set<String> inodes = listenerInodes();
        Set<Long> oldWorkers = new HashSet<>(Listeners.holders(inodes));
        Cli.workerPid(settings.adminSocket(), CLI_TIMEOUT).ifPresent(oldWorkers::add);
        long logOffset = -1;
        if (reloadCommand.isEmpty()) {
            logOffset = size(settings.haproxyLog());
            try {
                // the master re-executes itself with the new file and passes the listeners on
                Cli.call(settings.masterSocket(), "reload", CLI_TIMEOUT);
            } catch (IOException e) {
                throw new BerthException("haproxy router: cannot ask the haproxy master to reload through "
                        + settings.masterSocket() + ": " + e.getMessage() + "; the previous configuration keeps "
                        + "serving", e);
            }
        } else {
            ProxyCommands.Result r = ProxyCommands.run(reloadCommand, settings.temp(), COMMAND_TIMEOUT);
            if (!r.ok()) {
                throw new BerthException("haproxy router: reload " + reloadCommand + " failed (exit " + r.exitCode()
                        + "); the previous configuration keeps serving: " + r.output());
            }
        }
        try {
            awaitGeneration(gen, logOffset);
            long answered = System.nanoTime();
            for (long oldWorker : oldWorkers) {
                awaitRetired(oldWorker, inodes.isEmpty() ? listenerInodes() : inodes);
            }
            return answered;
        } catch (BerthException e) {
            String said = logOffset >= 0 ? problems(since(settings.haproxyLog(), logOffset)) : "";
            BerthException inUse = portInUse(said, e);
            if (inUse != null) {
                throw new BerthException(inUse.getMessage() + "; the previous configuration keeps serving", e);
            }
            throw new BerthException("haproxy router: haproxy did not load the new configuration; the previous one "
                    + "keeps serving: " + e.getMessage() + (said.isEmpty() ? "" : ": " + said), e);
        }
    }

    /**
     * Waits until haproxy answers the probe with {@code gen}: the new configuration is live. With a
     * {@code logOffset}, fails as soon as haproxy's log reports a failed reload after it.
     */
    private void awaitGeneration(String gen, long logOffset) {
        long deadline = System.nanoTime() + reloadTimeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (master.exited()) {
                throw new BerthException("haproxy (pid " + master.pid() + ") exited");
            }
            try {
                String body = probe();
                if (body.strip().equals(gen)) {
                    return;
                }
                last = "generation " + body.strip();
            } catch (IOException e) {
                last = e.toString();
            }
            if (logOffset >= 0 && since(settings.haproxyLog(), logOffset).contains("Loading failure")) {
                throw new BerthException("the haproxy master could not load the new configuration");
            }
            pause(2);
        }
        throw new BerthException("haproxy did not serve generation " + gen + " on " + settings.listen() + " within "
                + reloadTimeout + " (last: " + last + ")");
    }

    /**
     * Waits until the previous worker let go of the listening sockets (it then accepts nothing more
     * and only finishes what it has); until then it could still answer a new connection with the
     * previous configuration.
     */
    private void awaitRetired(long oldWorker, Set<String> inodes) {
        long deadline = System.nanoTime() + reloadTimeout.toNanos();
        while (Listeners.holds(oldWorker, inodes)) {
            if (System.nanoTime() > deadline) {
                throw new BerthException("old haproxy worker " + oldWorker + " still listens after " + reloadTimeout);
            }
            pause(1);
        }
    }

    /** The listening sockets of haproxy's HTTP and HTTPS ports, by inode. */
    private Set<String> listenerInodes() {
        try {
            return Listeners.inodes(InetAddress.getByName(settings.listenAddress()),
                    Set.of(settings.httpPort(), settings.httpsPort()));
        } catch (IOException e) {
            return Set.of();
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BerthException("interrupted while waiting for haproxy", e);
        }
    }

    private String probe() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName(settings.listenAddress()), settings.httpPort()),
                    1000);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + HaproxyConfig.PROBE_PATH + " HTTP/1.0\r\nHost: " + HaproxyConfig.PROBE_HOST
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            int body = response.indexOf("\r\n\r\n");
            if (!response.startsWith("HTTP/1.1 200") || body < 0) {
                return response.lines().findFirst().orElse("empty answer");
            }
            return response.substring(body + 4);
        }
    }

    // --- certificates ----------------------------------------------------------------------------

    /** Each TLS domain's certificate and key, combined into one PEM (read again only when changed). */
    private Map<String, Pem> certificates(RoutingTable table) {
        Map<String, Pem> byDomain = new TreeMap<>();
        Map<Tls, Pem> seen = new HashMap<>();
        for (Map.Entry<String, RoutingTable.Route> e : table.routes().entrySet()) {
            Tls tls = e.getValue().tls();
            if (tls == null) {
                continue;
            }
            Pem pem = seen.get(tls);
            if (pem == null) {
                pem = pem(e.getKey(), tls);
                seen.put(tls, pem);
            }
            byDomain.put(e.getKey(), pem);
        }
        pems.keySet().retainAll(seen.keySet());
        return byDomain;
    }

    private Pem pem(String domain, Tls tls) {
        Object certStamp = stamp("routes[" + domain + "].tls.certificate", tls.certificate());
        Object keyStamp = stamp("routes[" + domain + "].tls.key", tls.key());
        Pem cached = pems.get(tls);
        if (cached != null && cached.certStamp().equals(certStamp) && cached.keyStamp().equals(keyStamp)) {
            return cached;
        }
        byte[] cert = read("routes[" + domain + "].tls.certificate", tls.certificate());
        byte[] key = read("routes[" + domain + "].tls.key", tls.key());
        ByteArrayOutputStream combined = new ByteArrayOutputStream(cert.length + 1 + key.length);
        combined.writeBytes(cert);
        if (cert.length > 0 && cert[cert.length - 1] != '\n') {
            combined.write('\n');
        }
        combined.writeBytes(key);
        byte[] content = combined.toByteArray();
        Pem pem = new Pem(content, digest(content), certStamp, keyStamp);
        pems.put(tls, pem);
        return pem;
    }

    private static Object stamp(String field, Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
        } catch (IOException e) {
            throw new InvalidSpecException(field, file, "must be a readable PEM file (" + e + ")");
        }
    }

    private static byte[] read(String field, Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InvalidSpecException(field, file, "must be a readable PEM file (" + e + ")");
        }
    }

    private static String digest(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    // --- files -------------------------------------------------------------------------------------

    private void deleteGenerationsBut(String gen) {
        Path keep = settings.generationDir(gen);
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(keep.getParent(), "gen-*")) {
            for (Path d : dirs) {
                if (!d.equals(keep)) {
                    deleteTree(d);
                }
            }
        } catch (IOException e) {
            LOG.debug("haproxy router: cannot list {}: {}", keep.getParent(), e.toString());
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.debug("haproxy router: cannot delete {}: {}", dir, e.toString());
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    /** What was appended to {@code file} after {@code offset}. */
    private static String since(Path file, long offset) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size <= offset) {
                return "";
            }
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size - offset, 256 * 1024));
            ch.read(buf, offset);
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    static Path findHaproxy(Path configured) {
        Path found = null;
        if (configured != null) {
            if (!Files.isExecutable(configured) || Files.isDirectory(configured)) {
                throw new BerthException("haproxy router: haproxyBinary " + configured + " is not an executable file; "
                        + "install Debian's haproxy package (apt-get install haproxy) or point haproxyBinary(...) at "
                        + "haproxy");
            }
            found = configured;
        } else if (Files.isExecutable(DEBIAN_HAPROXY)) {
            found = DEBIAN_HAPROXY;
        } else {
            String path = System.getenv("PATH");
            if (path != null) {
                for (String dir : path.split(File.pathSeparator)) {
                    Path candidate = dir.isEmpty() ? null : Path.of(dir, "haproxy");
                    if (candidate != null && Files.isExecutable(candidate)) {
                        found = candidate;
                        break;
                    }
                }
            }
        }
        if (found == null) {
            throw new BerthException("haproxy router: haproxy not found at " + DEBIAN_HAPROXY + " nor on the PATH; "
                    + "install Debian's haproxy package (apt-get install haproxy) or set haproxyBinary(...)");
        }
        checkVersion(found);
        return found;
    }

    /** haproxy 2.2 or later: {@code http-request return} came with 2.2. */
    private static void checkVersion(Path binary) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        ProxyCommands.Result r = ProxyCommands.run(List.of(binary.toString(), "-v"), tmp, Duration.ofSeconds(10));
        Matcher m = VERSION.matcher(r.output());
        if (!r.ok() || !m.find()) {
            throw new BerthException("haproxy router: " + binary + " -v did not tell an haproxy version (exit "
                    + r.exitCode() + "): " + r.output() + "; install Debian's haproxy package (apt-get install haproxy)");
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        if (major < 2 || (major == 2 && minor < 2)) {
            throw new BerthException("haproxy router: " + binary + " is haproxy " + major + "." + minor
                    + "; 2.2 or later is needed (Debian 12's haproxy package has 2.6)");
        }
    }

    /**
     * Builds an {@link HaproxyRouter}; each setter checks its value at once. Not thread-safe.
     */
    public static final class Builder {
        private static final Pattern IP = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*");
        /** UNIX socket paths are limited to 107 bytes; the longest one under the prefix is this. */
        private static final String LONGEST_SOCKET = "/run/master.sock";
        static final int MAX_PREFIX = 107 - LONGEST_SOCKET.length();

        private Path prefix;
        private Path configFile;
        private List<String> reloadCommand = List.of();
        private String listenAddress = "127.0.0.1";
        private int httpPort = 8080;
        private int httpsPort = 8443;
        private int threads = 1;
        private Path haproxyBinary;
        private Duration reloadTimeout = Duration.ofSeconds(10);
        private String proxyUser = ProxyUser.DEFAULT;
        private boolean keepRunningOnClose;
        private Duration livenessInterval = Duration.ofSeconds(1);

        private Builder() {
        }

        /**
         * Whether {@link HaproxyRouter#close()} leaves the owned haproxy serving its last
         * configuration (for the next router on the same prefix to adopt, as when this JVM is
         * killed) instead of stopping it; default {@code false}. {@link HaproxyRouter#stop()} stops
         * it either way.
         */
        public Builder keepRunningOnClose(boolean keep) {
            this.keepRunningOnClose = keep;
            return this;
        }

        /**
         * How often the router checks that its owned haproxy runs, to start it again when it died;
         * default 1 s, from 50 ms to 10 minutes. One daemon thread per router.
         */
        public Builder livenessInterval(Duration interval) {
            this.livenessInterval = ProxyWatch.checkInterval("livenessInterval", interval);
            return this;
        }

        /**
         * The user haproxy's workers run as when this JVM runs as root ({@code user} and
         * {@code group} in {@code global}: the user and its primary group); default {@code www-data}.
         * The master keeps root to bind ports, reload and read certificates; {@code root} keeps the
         * workers root (not recommended). Applies to an owned proxy only, when this JVM is root;
         * the user must exist when {@link #build()} runs.
         */
        public Builder proxyUser(String user) {
            this.proxyUser = ProxyUser.checkName("proxyUser", user);
            return this;
        }

        /**
         * The directory that holds the config, pid file, sockets, logs and certificates (owned mode;
         * in external mode: where the sockets, logs and certificates go, default the config file's
         * directory).
         */
        public Builder prefix(Path prefix) {
            Path p = require("prefix", prefix).toAbsolutePath().normalize();
            HaproxyConfig.checkPath("prefix", p);
            checkPrefixLength(p);
            this.prefix = p;
            return this;
        }

        /**
         * Drives an haproxy that already runs with {@code configFile}: the router writes that file
         * and runs {@code reloadCommand} (an argv list, e.g. {@code [kill, -USR2, <master pid>]} or
         * {@code [systemctl, reload, haproxy]}) after each validated change. The rendered file puts
         * the pid file, admin socket and certificates under {@link #prefix} (default: the file's
         * directory); haproxy's standard output is the access log {@link #traffic()} reads, expected
         * at {@code <prefix>/logs/access.log}.
         */
        public Builder external(Path configFile, List<String> reloadCommand) {
            Path c = require("external.configFile", configFile).toAbsolutePath().normalize();
            HaproxyConfig.checkPath("external.configFile", c);
            if (reloadCommand == null || reloadCommand.isEmpty() || reloadCommand.stream()
                    .anyMatch(a -> a == null || a.indexOf('\0') >= 0)) {
                throw new IllegalArgumentException("external.reloadCommand: " + reloadCommand
                        + " is not allowed; must be a non-empty argv list without null or NUL, e.g. "
                        + "[kill, -USR2, <haproxy master pid>]");
            }
            this.configFile = c;
            this.reloadCommand = List.copyOf(reloadCommand);
            return this;
        }

        /** The TCP port haproxy listens on for HTTP; default 8080. */
        public Builder httpPort(int port) {
            this.httpPort = port("httpPort", port);
            return this;
        }

        /** The TCP port haproxy listens on for HTTPS, only while some route has TLS; default 8443. */
        public Builder httpsPort(int port) {
            this.httpsPort = port("httpsPort", port);
            return this;
        }

        /** The IP address haproxy listens on; default 127.0.0.1. */
        public Builder listenAddress(String address) {
            if (address == null || !IP.matcher(address).matches()) {
                throw new IllegalArgumentException("listenAddress: '" + address
                        + "' is not allowed; must be an IPv4 or IPv6 address such as 127.0.0.1");
            }
            this.listenAddress = address;
            return this;
        }

        /**
         * haproxy's worker threads; default 1. With more than one, haproxy may drop an access log
         * line when two threads log at once, so that {@link HaproxyRouter#traffic()} can fall short.
         */
        public Builder threads(int n) {
            if (n < 1 || n > 64) {
                throw new IllegalArgumentException("threads: " + n + " is not allowed; must be 1-64");
            }
            this.threads = n;
            return this;
        }

        /** The haproxy executable; default {@code /usr/sbin/haproxy}, else {@code haproxy} on the PATH. */
        public Builder haproxyBinary(Path binary) {
            this.haproxyBinary = require("haproxyBinary", binary).toAbsolutePath();
            return this;
        }

        /** How long a reload (or the start) may take to serve the new configuration; default 10 s. */
        public Builder reloadTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException("reloadTimeout: " + timeout
                        + " is not allowed; must be more than 0 and at most 5 minutes");
            }
            this.reloadTimeout = timeout;
            return this;
        }

        /** Checks the options, finds haproxy and, in owned mode, starts it serving an empty table. */
        public HaproxyRouter build() {
            if (configFile == null && prefix == null) {
                throw new IllegalArgumentException("prefix: nothing is not allowed; set prefix(dir) for an owned "
                        + "haproxy or external(configFile, reloadCommand) for a running one");
            }
            if (httpPort == httpsPort) {
                throw new IllegalArgumentException("httpsPort: " + httpsPort
                        + " is not allowed; must differ from httpPort " + httpPort);
            }
            if (prefix == null) {
                prefix = configFile.getParent();
                checkPrefixLength(prefix);
            }
            // owned mode only: an external proxy runs as its operator set it up (a non-root one could not switch)
            ProxyUser user = reloadCommand.isEmpty() && ProxyUser.runningAsRoot()
                    ? ProxyUser.lookup("proxyUser", proxyUser, ProxyUser.PASSWD, ProxyUser.GROUP) : null;
            Path binary = findHaproxy(haproxyBinary);
            HaproxyRouter router = new HaproxyRouter(this, binary, user);
            if (router.reloadCommand.isEmpty()) {
                synchronized (router.lock) {
                    router.start();
                }
                router.watch = ProxyWatch.start("haproxy", livenessInterval, () -> {
                    synchronized (router.lock) {
                        router.reviveIfExited();
                    }
                });
            }
            return router;
        }

        private static void checkPrefixLength(Path p) {
            if (p.toString().length() > MAX_PREFIX) {
                throw new IllegalArgumentException("prefix: '" + p + "' is not allowed; must be at most "
                        + MAX_PREFIX + " characters long, so that " + p + LONGEST_SOCKET
                        + " fits a UNIX socket path (107 bytes)");
            }
        }

        private static int port(String option, int port) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException(option + ": " + port + " is not allowed; must be 1-65535");
            }
            return port;
        }

        private static <T> T require(String option, T value) {
            if (value == null) {
                throw new IllegalArgumentException(option + ": nothing is not allowed; must be set");
            }
            return value;
        }
    }
}
