package dev.berth.router.nginx;

import dev.berth.api.BerthException;
import dev.berth.api.Router;
import dev.berth.api.RoutingTable;
import dev.berth.api.Traffic;
import dev.berth.support.ListeningSockets;
import dev.berth.support.ProxyCommands;
import dev.berth.support.ProxyEnvironment;
import dev.berth.support.ProxyMaster;
import dev.berth.support.ProxyUser;
import dev.berth.support.ProxyWatch;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Router} that sends each domain to its app's healthy endpoints through nginx.
 *
 * <p>{@link #apply} renders the whole configuration (an {@code upstream} per app, a {@code server}
 * per domain with the route's body limit and timeouts, 503 for a domain without healthy endpoints,
 * 404 for unknown hosts), validates it with {@code nginx -t}, renames it over the current file and
 * reloads nginx (SIGHUP to the owned master, the reload command of an external one); it returns once
 * the new configuration serves and the workers of the previous one accept no more connections. On
 * any failure the previous file is kept (or put back), the running nginx keeps serving the previous
 * configuration and a {@link BerthException} carries nginx's own error text. {@link #check} does the
 * first two steps only.
 *
 * <p>A route with {@link dev.berth.api.Tls} is served over HTTPS on {@link Builder#httpsPort} (with
 * the route's certificate, chosen by SNI) and still over plain HTTP on {@link Builder#httpPort}:
 * nothing is redirected. nginx listens on the HTTPS port only while at least one route has TLS;
 * there it refuses the handshake of a client that names no such domain.
 *
 * <p>Two modes. <b>Owned</b> ({@link Builder#prefix}): the router starts its own nginx, as the
 * current user (when that is root, the workers run as {@link Builder#proxyUser}, default
 * {@code www-data}), with only PATH and the locale in its environment ({@code ProxyEnvironment}),
 * with everything under the prefix directory ({@code conf/nginx.conf},
 * {@code nginx.pid}, {@code logs/error.log}, {@code logs/access.log}, {@code temp/}), listening on
 * {@link Builder#httpPort} of {@link Builder#listenAddress} (127.0.0.1 unless set), in a session of
 * its own (a Ctrl-C in the host application's terminal does not reach it), and stops it on
 * {@link #close} unless {@link Builder#keepRunningOnClose} (then, as after {@link #detach()}, it
 * serves on with its last configuration); when an earlier router on the same prefix left its nginx
 * running (its JVM exited or was killed), the new one adopts that nginx instead of starting another.
 * A daemon thread checks every {@link Builder#livenessInterval} (and each {@link #apply} before it
 * reloads) that the owned nginx runs: one that died (killed, crashed) is started again with the
 * last good configuration, after the workers it left holding the port are stopped, and the log says
 * "nginx (pid N) was not running; started it again". <b>External</b> ({@link Builder#external}): an nginx started by someone else
 * with the given config file; the router writes that file, validates it and runs the given reload
 * command, and leaves nginx running on close.
 *
 * <p>{@link #traffic()} sums requests and bytes sent per domain from the access log the router
 * configures.
 *
 * <p>Thread-safe: {@code apply}, {@code check}, {@code traffic} and {@code close} are serialized by one
 * lock.
 */
public final class NginxRouter implements Router {
    private static final Logger LOG = LoggerFactory.getLogger(NginxRouter.class);
    private static final Path DEBIAN_NGINX = Path.of("/usr/sbin/nginx");
    /** kill(1) (Debian: procps), to signal the owned master. */
    private static final List<Path> KILL = List.of(Path.of("/bin/kill"), Path.of("/usr/bin/kill"));
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    /** nginx's words for a port it could not bind (and retries): "bind() to 127.0.0.1:8443 failed (98: ...)". */
    private static final Pattern BIND_FAILED = Pattern.compile("bind\\(\\) to \\S*:(\\d+) failed");
    /** ... or could bind but not listen on: "listen() to 127.0.0.1:8443, backlog 511 failed (98: ...)". */
    private static final Pattern PORT_FAILED = Pattern.compile("(?:bind|listen)\\(\\) to \\S*:(\\d+)");

    private final Object lock = new Object();
    private final NginxConfig.Settings settings;
    private final Path binary;
    private final Path configFile;
    private final List<String> reloadCommand; // empty when owned
    private final Duration reloadTimeout;
    private final boolean keepRunningOnClose;
    private final Duration livenessInterval;
    /** Restarts the owned nginx when it died; null in external mode and before the start. */
    private volatile ProxyWatch watch;
    /** The pid of an owned master that died and was not started again yet; -1 for none. Guarded by lock. */
    private long diedMaster = -1;
    private final String nonce = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    // guarded by lock
    private final AccessLog accessLog;
    private long generation;
    private String lastGood;
    /** The owned master: started by this router, or adopted from an earlier one with the same prefix. */
    private final ProxyMaster master = new ProxyMaster("nginx");
    private boolean closed;

    private NginxRouter(Builder b, Path binary, ProxyUser user) {
        this.binary = binary;
        Path temp = b.prefix.resolve("temp");
        Path workerTemp = user == null ? temp : WorkerTemp.choose(temp, user, WorkerTemp.FALLBACK_ROOT);
        this.settings = new NginxConfig.Settings(b.prefix, b.listenAddress, b.httpPort, b.httpsPort, b.workerProcesses,
                user == null ? null : user.name() + " " + user.group(), workerTemp);
        this.configFile = b.configFile != null ? b.configFile : settings.conf();
        this.reloadCommand = b.reloadCommand;
        this.reloadTimeout = b.reloadTimeout;
        this.keepRunningOnClose = b.keepRunningOnClose;
        this.livenessInterval = b.livenessInterval;
        try {
            Files.createDirectories(configFile.getParent());
            Files.createDirectories(settings.errorLog().getParent());
            Files.createDirectories(settings.temp());
            for (String t : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
                Files.createDirectories(settings.workerTemp().resolve(t)); // nginx hands them to the workers' user
            }
            this.accessLog = AccessLog.fromEnd(settings.accessLog());
            if (Files.exists(configFile)) {
                lastGood = Files.readString(configFile);
            }
        } catch (IOException e) {
            throw new BerthException("nginx router: cannot prepare " + settings.prefix() + ": " + e.getMessage(), e);
        }
    }

    /** A builder; set {@link Builder#prefix} (owned nginx) or {@link Builder#external}. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void apply(RoutingTable table) {
        Objects.requireNonNull(table, "table");
        NginxConfig.validate(table); // bad names change nothing
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("nginx router is closed");
            }
            long started = System.nanoTime();
            String gen = nonce + "-" + (++generation);
            String text = NginxConfig.render(table, settings, gen);
            if (NginxConfig.usesTls(table) && !listensHttps(lastGood)) {
                checkPortFree(settings.httpsPort(), "httpsPort"); // the first TLS route opens the port
            }
            reviveIfExited(); // a killed nginx serves again before it reloads
            install(text);
            long validated = System.nanoTime();
            long answered;
            try {
                answered = reload(gen);
            } catch (BerthException e) {
                restore();
                if (!master.exited()) {
                    throw e;
                }
                reviveIfExited(); // it died under the reload: the last good table serves again, then this one
                install(text);
                try {
                    answered = reload(gen);
                } catch (BerthException again) {
                    restore();
                    throw again;
                }
            }
            lastGood = text;
            long done = System.nanoTime();
            LOG.info("nginx router: {} domain(s) serving (generation {}) after {} ms: render and nginx -t {} ms, "
                    + "reload until the new generation answers {} ms, until the old workers stopped accepting {} ms",
                    table.routes().size(), gen, millis(done - started), millis(validated - started),
                    millis(answered - validated), millis(done - answered));
        }
    }

    /**
     * Renders {@code table} as {@link #apply} would and has {@code nginx -t} validate it, without
     * installing or reloading anything (a dry run): nginx keeps serving what it serves. The ports are
     * not probed. Useful before an apply, and to measure rendering and validation of large tables.
     *
     * @return the configuration text that nginx accepted (its generation probe answers "check")
     * @throws dev.berth.api.InvalidSpecException for a domain, app name or path that is not plain
     * @throws BerthException with nginx's message when {@code nginx -t} rejects the configuration
     * @throws IllegalStateException when the router is closed
     */
    public String check(RoutingTable table) {
        Objects.requireNonNull(table, "table");
        NginxConfig.validate(table);
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("nginx router is closed");
            }
            String text = NginxConfig.render(table, settings, "check");
            Path file = null;
            try {
                file = Files.createTempFile(settings.temp(), "check-", ".conf");
                Files.writeString(file, text, StandardCharsets.UTF_8);
                test(file);
                return text;
            } catch (IOException e) {
                throw new BerthException("nginx router: cannot write " + file + ": " + e.getMessage(), e);
            } finally {
                deleteQuietly(file);
            }
        }
    }

    /** Requests and bytes sent per domain since the router was built, from nginx's access log. */
    @Override
    public Map<String, Traffic> traffic() {
        synchronized (lock) {
            try {
                return accessLog.read();
            } catch (IOException e) {
                throw new BerthException("nginx router: cannot read access log " + settings.accessLog() + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /** The configuration file the router writes. */
    public Path configFile() {
        return configFile;
    }

    /** The process id of the nginx master this router started (or adopted), when it runs. */
    public OptionalLong ownedPid() {
        synchronized (lock) {
            return master.livePid();
        }
    }

    /** Whether the owned nginx was already running when this router was built (it adopted it). */
    public boolean adopted() {
        synchronized (lock) {
            return master.adopted();
        }
    }

    /**
     * Closes this router but leaves its owned nginx serving its last configuration, as if this JVM
     * had been killed: a new router on the same prefix adopts it. For a caller that gives up after
     * building the router and must not take down an nginx it adopted. Idempotent.
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
     * Closes this router: stops the owned nginx, or, with {@link Builder#keepRunningOnClose},
     * leaves it serving as {@link #detach()} does. An external nginx always runs on. Idempotent.
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
     * Closes this router and stops the owned nginx (started or adopted) and its workers, whatever
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
                WorkerTemp.deleteFallback(settings.workerTemp(), settings.temp());
                LOG.info("nginx router: stopped nginx (prefix {})", settings.prefix());
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
     * When the owned nginx has exited (killed, crashed): stops the workers it left holding the
     * ports, starts nginx again with the last good configuration and says so. Called with the lock
     * held, by the watch and before each reload.
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
        String gen = lastGood == null ? null : NginxConfig.generationOf(lastGood);
        if (gen == null) { // not a file of this router's: serve an empty table until the next apply
            gen = nonce + "-" + (++generation);
            String text = NginxConfig.render(RoutingTable.empty(), settings, gen);
            install(text);
            lastGood = text;
        } else {
            restore(); // the file holds the last good configuration
        }
        launch(gen);
        LOG.warn("nginx router: nginx (pid {}) was not running; started it again: nginx {} serves {} with the last "
                + "good configuration (generation {})", dead, master.pid(), settings.listen(), gen);
        diedMaster = -1;
    }

    /** Stops the nginx processes still listening on this router's ports without a master. */
    private void retireOrphans() {
        try {
            ListeningSockets.retireOrphans("nginx", InetAddress.getByName(settings.listenAddress()),
                    Set.of(settings.httpPort(), settings.httpsPort()), reloadTimeout);
        } catch (IOException e) {
            LOG.warn("nginx router: cannot resolve {}: {}", settings.listenAddress(), e.getMessage());
        }
    }

    // --- owned nginx -----------------------------------------------------------------------

    private void start() {
        if (adopt()) {
            return;
        }
        checkPortFree(settings.httpPort(), "httpPort");
        String gen = nonce + "-" + (++generation);
        String text = NginxConfig.render(RoutingTable.empty(), settings, gen);
        install(text);
        launch(gen);
        lastGood = text;
        LOG.info("nginx router: nginx {} serving {} with prefix {}", master.pid(), settings.listen(),
                settings.prefix());
    }

    /** Starts the nginx master on the installed config file and waits until it serves {@code gen}. */
    private void launch(String gen) {
        Path out = settings.errorLog().resolveSibling("nginx.out");
        // in a session of its own: a Ctrl-C in the terminal of this JVM does not reach nginx
        List<String> argv = ProxyMaster.inNewSession(List.of(binary.toString(), "-c", configFile.toString(), "-p",
                settings.prefix() + "/", "-e", settings.errorLog().toString(), "-g", "daemon off;"));
        try {
            // only PATH and the locale: none of this JVM's secrets reach nginx or its workers
            master.started(ProxyEnvironment.restrict(new ProcessBuilder(argv)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start().toHandle());
        } catch (IOException e) {
            throw new BerthException("nginx router: cannot start " + argv + ": " + e.getMessage(), e);
        }
        try {
            awaitGeneration(gen, -1);
        } catch (BerthException e) {
            String said = tail(out) + "\n" + tail(settings.errorLog());
            master.stop();
            master.forget();
            if (said.contains("Address already in use")) {
                throw new BerthException("nginx router: port " + settings.httpPort() + " on "
                        + settings.listenAddress() + " is already in use; choose a free port with httpPort(...): "
                        + said.strip(), e);
            }
            throw new BerthException("nginx router: nginx did not start (prefix " + settings.prefix() + "): "
                    + said.strip(), e);
        }
    }

    /**
     * Keeps serving with the nginx that an earlier router with this prefix started and left
     * running (its JVM was killed, say): the pid file names a live nginx master whose command line
     * holds this router's config file. Its configuration is the last good one; the next
     * {@link #apply} reloads it as usual, and {@link #close} stops it.
     */
    private boolean adopt() {
        ProcessHandle h = ProxyMaster.fromPidFile(settings.pidFile()).orElse(null); // none: nothing to adopt
        String title = h == null ? "" : title(h);
        if (!title.startsWith("nginx: master process") || !title.contains(" -c " + configFile + " ")) {
            return false; // a stale pid file, or the pid is someone else's now
        }
        master.adopt(h);
        LOG.info("nginx router: adopted nginx {} already serving {} with prefix {}", h.pid(), settings.listen(),
                settings.prefix());
        return true;
    }

    /** Fails, naming the port and its option, when nginx could not bind {@code port}; binds nothing. */
    private void checkPortFree(int port, String option) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(settings.listenAddress()), port));
        } catch (IOException e) {
            throw new BerthException("nginx router: port " + port + " on " + settings.listenAddress()
                    + " is already in use (" + e.getMessage() + "); choose a free port with " + option + "(...)", e);
        }
    }

    /** Whether the configuration {@code text} (the one nginx runs) listens on the HTTPS port. */
    private boolean listensHttps(String text) {
        return text != null && text.contains("listen " + settings.listenHttps() + " ssl");
    }

    // --- render, validate, swap, reload ------------------------------------------------------

    /** Writes {@code text} beside the config file, validates it with nginx -t, renames it over. */
    private void install(String text) {
        Path next = configFile.resolveSibling(configFile.getFileName() + ".next");
        try {
            Files.writeString(next, text, StandardCharsets.UTF_8);
            test(next);
            move(next, configFile);
        } catch (IOException e) {
            throw new BerthException("nginx router: cannot write " + next + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(next); // the next apply overwrites it anyway
        }
    }

    /** {@code nginx -t} on {@code file}; throws with nginx's message when it is rejected. */
    private void test(Path file) {
        ProxyCommands.Result r = ProxyCommands.run(List.of(binary.toString(), "-t", "-q", "-c", file.toString(), "-p",
                settings.prefix() + "/", "-e", settings.errorLog().toString()), settings.temp(), COMMAND_TIMEOUT);
        if (!r.ok()) {
            throw new BerthException("nginx router: nginx -t rejected the new configuration; the previous one "
                    + "keeps serving: " + r.output());
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a leftover file in the prefix does no harm
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Puts the last good file back after a failed reload; nginx itself never left it. */
    private void restore() {
        if (lastGood == null) {
            return;
        }
        Path back = configFile.resolveSibling(configFile.getFileName() + ".restore");
        try {
            Files.writeString(back, lastGood, StandardCharsets.UTF_8);
            move(back, configFile);
        } catch (IOException e) {
            LOG.error("nginx router: could not put the last good configuration back into {}: {}", configFile,
                    e.getMessage());
        }
    }

    /** Reloads and waits as {@link #apply} says; returns when (nanoTime) the new generation answered. */
    private long reload(String gen) {
        if (master.exited()) {
            throw new BerthException("nginx router: the owned nginx (pid " + master.pid() + ") has exited: "
                    + tail(settings.errorLog()));
        }
        List<String> argv = reloadCommand.isEmpty() ? ownedReload() : reloadCommand;
        List<ProcessHandle> oldWorkers = workers();
        long errorLogOffset = size(settings.errorLog());
        ProxyCommands.Result r = ProxyCommands.run(argv, settings.temp(), COMMAND_TIMEOUT);
        if (!r.ok()) {
            throw new BerthException("nginx router: reload " + argv + " failed (exit " + r.exitCode()
                    + "); the previous configuration keeps serving: " + r.output());
        }
        try {
            awaitGeneration(gen, errorLogOffset);
            long answered = System.nanoTime();
            awaitRetired(oldWorkers);
            return answered;
        } catch (Refused e) {
            throw e;
        } catch (BerthException e) {
            throw new BerthException("nginx router: nginx did not load the new configuration; the previous one "
                    + "keeps serving: " + e.getMessage() + "; error log: " + tail(settings.errorLog()), e);
        }
    }

    /**
     * SIGHUP to the owned master: what {@code nginx -s reload} sends too, but that first parses the
     * whole configuration to find the pid file (about 60 ms for 1,000 apps). Without kill(1),
     * {@code nginx -s reload} it is.
     */
    private List<String> ownedReload() {
        for (Path kill : KILL) {
            if (Files.isExecutable(kill)) {
                return List.of(kill.toString(), "-HUP", Long.toString(master.pid()));
            }
        }
        return List.of(binary.toString(), "-s", "reload", "-c", configFile.toString(), "-p", settings.prefix() + "/",
                "-e", settings.errorLog().toString());
    }

    /**
     * Waits until nginx answers the probe with {@code gen}: the new configuration is live. With an
     * {@code errorLogOffset} (not -1), also watches what the master logs from there, so that a reload
     * it refused (a port it cannot bind, say) fails at once with nginx's words, not after the timeout.
     */
    private void awaitGeneration(String gen, long errorLogOffset) {
        long deadline = System.nanoTime() + reloadTimeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (master.exited()) {
                throw new BerthException("nginx (pid " + master.pid() + ") has exited");
            }
            if (errorLogOffset >= 0) {
                String refused = reloadRefused(readFrom(settings.errorLog(), errorLogOffset), settings);
                if (refused != null) {
                    throw new Refused("nginx router: nginx refused the new configuration; the previous one keeps "
                            + "serving: " + refused);
                }
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
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BerthException("interrupted while waiting for nginx", e);
            }
        }
        throw new BerthException("nginx did not serve generation " + gen + " on " + settings.listen() + " within "
                + reloadTimeout + " (last: " + last + ")");
    }

    /** A reload that nginx's master refused and said why; the message is complete as it is. */
    private static final class Refused extends BerthException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /**
     * What the master logged when it gave up loading a new configuration, or {@code null} while it
     * has not (yet): {@code [emerg]} lines, except a "bind() ... failed" that nginx still retries
     * (it tries five times, then logs "still could not bind()"). A port it cannot bind or listen on
     * is named with its option.
     */
    static String reloadRefused(String logged, NginxConfig.Settings s) {
        // "2026/11/22 01:56:58 [emerg] 16655#16655: bind() to ..." -> "bind() to ..."
        List<String> emerg = logged.lines().filter(l -> l.contains("[emerg]"))
                .map(l -> l.replaceFirst(".*\\[emerg\\] [0-9]+#[0-9]+: ", "")).distinct().toList();
        if (emerg.stream().allMatch(l -> BIND_FAILED.matcher(l).find())) {
            return null; // nothing yet, or a bind that nginx still retries
        }
        String said = String.join("; ", emerg);
        Matcher m = PORT_FAILED.matcher(said);
        if (m.find()) {
            String port = m.group(1);
            String option = port.equals(Integer.toString(s.httpsPort())) ? "httpsPort"
                    : port.equals(Integer.toString(s.httpPort())) ? "httpPort" : null;
            return "cannot listen on port " + port + " of " + s.listenAddress()
                    + (option == null ? "" : " (" + option + ")") + ": " + said;
        }
        return said;
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0; // not written yet
        }
    }

    /** What {@code file} holds from {@code offset} (from 0 when it shrank), at most 64 KiB. */
    private static String readFrom(Path file, long offset) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long from = ch.size() < offset ? 0 : offset;
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(64 * 1024, Math.max(0, ch.size() - from)));
            while (buf.hasRemaining() && ch.read(buf, from + buf.position()) > 0) {
                // fill
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The worker processes of the master (the owned one, or the one the pid file names). */
    private List<ProcessHandle> workers() {
        Long pid = null;
        if (master.owned()) {
            pid = master.pid();
        } else {
            try {
                pid = Long.parseLong(Files.readString(settings.pidFile()).strip());
            } catch (IOException | NumberFormatException e) {
                LOG.debug("nginx router: no master pid in {}: {}", settings.pidFile(), e.toString());
            }
        }
        return pid == null ? List.of()
                : ProcessHandle.of(pid).map(h -> h.children().toList()).orElse(List.of());
    }

    /**
     * Waits until the workers of the previous generation stopped accepting: nginx retitles a worker
     * "worker process is shutting down" in the same step in which it closes its listening sockets.
     * Until then an old worker may still answer new connections with the old configuration.
     */
    private void awaitRetired(List<ProcessHandle> oldWorkers) {
        long deadline = System.nanoTime() + reloadTimeout.toNanos();
        for (ProcessHandle w : oldWorkers) {
            while (w.isAlive() && !title(w).contains("shutting down")) {
                if (master.exited()) {
                    throw new BerthException("nginx (pid " + master.pid() + ") exited before its old workers retired");
                }
                if (System.nanoTime() > deadline) {
                    throw new BerthException("old nginx worker " + w.pid() + " still accepts after " + reloadTimeout);
                }
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BerthException("interrupted while waiting for nginx", e);
                }
            }
        }
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    private static String title(ProcessHandle h) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline")),
                    StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "shutting down"; // gone
        }
    }

    private String probe() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName(settings.listenAddress()), settings.httpPort()),
                    1000);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + NginxConfig.PROBE_PATH + " HTTP/1.0\r\nHost: berth-probe.invalid\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
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

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    static Path findNginx(Path configured) {
        if (configured != null) {
            if (Files.isExecutable(configured)) {
                return configured;
            }
            throw new BerthException("nginx router: nginxBinary " + configured + " is not an executable file");
        }
        if (Files.isExecutable(DEBIAN_NGINX)) {
            return DEBIAN_NGINX;
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    Path candidate = Path.of(dir, "nginx");
                    if (Files.isExecutable(candidate)) {
                        return candidate;
                    }
                }
            }
        }
        throw new BerthException("nginx router: nginx not found at " + DEBIAN_NGINX + " nor on the PATH; install it "
                + "(Debian/Ubuntu: apt-get install nginx) or set nginxBinary(...)");
    }

    /**
     * Builds an {@link NginxRouter}; each setter checks its value at once. Not thread-safe.
     */
    public static final class Builder {
        private static final Pattern IP = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*");

        private Path prefix;
        private Path configFile;
        private List<String> reloadCommand = List.of();
        private String listenAddress = "127.0.0.1";
        private int httpPort = 8080;
        private int httpsPort = 8443;
        private int workerProcesses = 1;
        private Path nginxBinary;
        private Duration reloadTimeout = Duration.ofSeconds(10);
        private String proxyUser = ProxyUser.DEFAULT;
        private boolean keepRunningOnClose;
        private Duration livenessInterval = Duration.ofSeconds(1);

        private Builder() {
        }

        /**
         * Whether {@link NginxRouter#close()} leaves the owned nginx serving its last configuration
         * (for the next router on the same prefix to adopt, as when this JVM is killed) instead of
         * stopping it; default {@code false}. {@link NginxRouter#stop()} stops it either way.
         */
        public Builder keepRunningOnClose(boolean keep) {
            this.keepRunningOnClose = keep;
            return this;
        }

        /**
         * How often the router checks that its owned nginx runs, to start it again when it died;
         * default 1 s, from 50 ms to 10 minutes. One daemon thread per router.
         */
        public Builder livenessInterval(Duration interval) {
            this.livenessInterval = ProxyWatch.checkInterval("livenessInterval", interval);
            return this;
        }

        /**
         * The user nginx's workers run as when this JVM runs as root (nginx's {@code user}
         * directive, with the user's primary group); default {@code www-data}. The master keeps root
         * to bind ports, open the logs and read certificate keys. {@code root} keeps the workers
         * root (not recommended). Applies to an owned proxy only, when this JVM is root; the user
         * must exist when {@link #build()} runs.
         */
        public Builder proxyUser(String user) {
            this.proxyUser = ProxyUser.checkName("proxyUser", user);
            return this;
        }

        /** The directory that holds the config, pid file, logs and temp files (owned mode). */
        public Builder prefix(Path prefix) {
            Path p = require("prefix", prefix).toAbsolutePath().normalize();
            NginxConfig.checkPath("prefix", p);
            this.prefix = p;
            return this;
        }

        /**
         * Drives an nginx that already runs with {@code configFile}: the router writes that file and
         * runs {@code reloadCommand} (an argv list) after each validated change. The rendered file puts
         * the pid file, logs and temp files under {@link #prefix} (default: the file's directory), so
         * that nginx must run with {@code pid <prefix>/nginx.pid}.
         */
        public Builder external(Path configFile, List<String> reloadCommand) {
            Path c = require("external.configFile", configFile).toAbsolutePath().normalize();
            NginxConfig.checkPath("external.configFile", c);
            if (reloadCommand == null || reloadCommand.isEmpty() || reloadCommand.stream()
                    .anyMatch(a -> a == null || a.indexOf('\0') >= 0)) {
                throw new IllegalArgumentException("external.reloadCommand: " + reloadCommand
                        + " is not allowed; must be a non-empty argv list without null or NUL, e.g. "
                        + "[nginx, -s, reload, -c, " + c + "]");
            }
            this.configFile = c;
            this.reloadCommand = List.copyOf(reloadCommand);
            return this;
        }

        /** The TCP port nginx listens on for HTTP; default 8080. */
        public Builder httpPort(int port) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("httpPort: " + port + " is not allowed; must be 1-65535");
            }
            this.httpPort = port;
            return this;
        }

        /**
         * The TCP port nginx listens on for HTTPS, on the same address, while at least one route has
         * {@link dev.berth.api.Tls}; default 8443. The first such route checks that it is free.
         */
        public Builder httpsPort(int port) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("httpsPort: " + port + " is not allowed; must be 1-65535");
            }
            this.httpsPort = port;
            return this;
        }

        /** The IP address nginx listens on (HTTP and HTTPS); default 127.0.0.1. */
        public Builder listenAddress(String address) {
            if (address == null || !IP.matcher(address).matches()) {
                throw new IllegalArgumentException("listenAddress: '" + address
                        + "' is not allowed; must be an IPv4 or IPv6 address such as 127.0.0.1");
            }
            this.listenAddress = address;
            return this;
        }

        /** nginx worker processes; default 1. */
        public Builder workerProcesses(int n) {
            if (n < 1 || n > 64) {
                throw new IllegalArgumentException("workerProcesses: " + n + " is not allowed; must be 1-64");
            }
            this.workerProcesses = n;
            return this;
        }

        /** The nginx executable; default {@code /usr/sbin/nginx}, else {@code nginx} on the PATH. */
        public Builder nginxBinary(Path binary) {
            this.nginxBinary = require("nginxBinary", binary).toAbsolutePath();
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

        /** Checks the options, finds nginx and, in owned mode, starts it serving an empty table. */
        public NginxRouter build() {
            if (configFile == null && prefix == null) {
                throw new IllegalArgumentException("prefix: nothing is not allowed; set prefix(dir) for an owned nginx "
                        + "or external(configFile, reloadCommand) for a running one");
            }
            if (httpsPort == httpPort) {
                throw new IllegalArgumentException("httpsPort: " + httpsPort + " is not allowed; must differ from "
                        + "httpPort " + httpPort);
            }
            if (prefix == null) {
                prefix = configFile.getParent();
            }
            // owned mode only: an external proxy runs as its operator set it up (a non-root one could not switch)
            ProxyUser user = reloadCommand.isEmpty() && ProxyUser.runningAsRoot()
                    ? ProxyUser.lookup("proxyUser", proxyUser, ProxyUser.PASSWD, ProxyUser.GROUP) : null;
            Path binary = findNginx(nginxBinary);
            NginxRouter router = new NginxRouter(this, binary, user);
            if (router.reloadCommand.isEmpty()) {
                synchronized (router.lock) {
                    try {
                        router.start();
                    } catch (RuntimeException e) {
                        WorkerTemp.deleteFallback(router.settings.workerTemp(), router.settings.temp());
                        throw e;
                    }
                }
                router.watch = ProxyWatch.start("nginx", livenessInterval, () -> {
                    synchronized (router.lock) {
                        router.reviveIfExited();
                    }
                });
            }
            return router;
        }

        private static <T> T require(String option, T value) {
            if (value == null) {
                throw new IllegalArgumentException(option + ": nothing is not allowed; must be set");
            }
            return value;
        }
    }
}
