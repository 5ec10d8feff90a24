// Routes domains to apps' endpoints through haproxy: the public router and its builder, choosing between the Runtime API and a reload for each table.
package dev.berth.router.haproxy;

import dev.berth.api.BerthException;
import dev.berth.api.InvalidSpecException;
import dev.berth.spi.Router;
import dev.berth.api.RoutingTable;
import dev.berth.api.Traffic;
import dev.berth.support.ConfigSwap;
import dev.berth.support.ProxyProcess;
import dev.berth.support.ProxyRouterBuilder;
import dev.berth.support.ProxyUser;
import dev.berth.support.ProxyWatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;
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
 * answers the generation probe and the old one stopped accepting and finished its requests (at
 * most {@link dev.berth.support.ProxyProcess#DRAIN_WAIT}). On any failure the previous file
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
    private final Path configFile;
    private final boolean keepRunningOnClose;
    /** Restarts the owned haproxy when it died; null in external mode and before the start. */
    private volatile ProxyWatch watch;
    // guarded by lock
    private final AccessLog accessLog;
    private final PemBundles pems = new PemBundles();
    private final Generations generations;
    private final ProxyProcess process; // started, or adopted from an earlier router
    private final HaproxyProcess haproxy;
    private final ConfigSwap swap;
    private final RuntimeApi runtimeApi;
    private boolean closed;
    private ApplyPath lastPath = ApplyPath.UNCHANGED;
    private long reloads;
    private UnaryOperator<String> renderHook = UnaryOperator.identity();

    private HaproxyRouter(ProxyRouterBuilder.Options o, int threads, Path binary) {
        ProxyUser user = o.user();
        this.settings = new HaproxyConfig.Settings(o.prefix(), o.listenAddress(), o.httpPort(), o.httpsPort(), threads,
                user == null ? null : user.name(), user == null ? null : user.group());
        this.configFile = o.configFile(settings.conf());
        this.keepRunningOnClose = o.keepRunningOnClose();
        this.process = new ProxyProcess("haproxy", o.listenAddress(), o.httpPort(), o.httpsPort(), o.reloadTimeout());
        this.generations = new Generations(settings);
        try {
            Files.createDirectories(configFile.getParent());
            Files.createDirectories(settings.conf().getParent());
            Files.createDirectories(settings.adminSocket().getParent());
            Files.createDirectories(settings.accessLog().getParent());
            Files.createDirectories(settings.temp());
            this.accessLog = AccessLog.fromEnd(settings.accessLog());
            this.haproxy = new HaproxyProcess(settings, binary, configFile, o.reloadCommand(), process, generations);
            this.swap = haproxy.swap();
        } catch (IOException e) {
            throw new BerthException("haproxy router: cannot prepare " + settings.prefix() + ": " + e.getMessage(), e);
        }
        this.runtimeApi = new RuntimeApi(settings, swap, generations);
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
            Map<String, PemBundles.Pem> certificates = pems.certificates(table); // unreadable files change nothing
            haproxy.reviveIfExited(); // a killed haproxy serves again before anything changes
            Map<String, String> digests = PemBundles.digests(certificates);
            Planner.Plan plan = Planner.plan(generations.layout(), table, digests);
            if (plan instanceof Planner.Unchanged) {
                lastPath = ApplyPath.UNCHANGED;
                LOG.debug("haproxy router: nothing changed");
                runtimeApi.revive();
                return;
            }
            if (plan instanceof Planner.Runtime runtime) {
                try {
                    runtimeApi.apply(runtime);
                    runtimeApi.revive();
                    lastPath = ApplyPath.RUNTIME_API;
                    LOG.info("haproxy router: {} command(s) through the Runtime API for {} after {} us",
                            runtime.commands().size(), runtime.backends(), (System.nanoTime() - started) / 1_000);
                    return;
                } catch (RuntimeApi.Failed e) {
                    LOG.warn("haproxy router: the Runtime API failed, reloading instead: {}", e.getMessage());
                    // some commands may have taken effect: what runs is not known until a reload succeeds
                    generations.layout(null);
                    plan = new Planner.Reload(Layout.of(table, digests), "the Runtime API failed");
                }
            }
            Planner.Reload reload = (Planner.Reload) plan;
            // should haproxy die under the reload, the last good table serves again, then this one
            long[] steps = process.retryIfDied(() -> haproxy.reload(reload.layout(), certificates, renderHook),
                    haproxy::reviveIfExited);
            reloads++;
            lastPath = ApplyPath.RELOAD;
            long done = System.nanoTime();
            LOG.info("haproxy router: {} domain(s) serving (generation {}, reloaded because {}) after {} ms: render "
                    + "and haproxy -c {} ms, reload until the new generation answers {} ms, until the old worker "
                    + "stopped listening {} ms", table.routes().size(), generations.current(), reload.reason(),
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
            Map<String, PemBundles.Pem> certificates = pems.certificates(table);
            Layout layout = Layout.of(table, PemBundles.digests(certificates));
            Path dir = null;
            try {
                dir = Files.createTempDirectory(settings.temp(), "check-", Generations.OWNER_ONLY_DIR);
                HaproxyConfig.Files files = new HaproxyConfig.Files(dir);
                Generations.write(files, layout, certificates);
                String text = HaproxyConfig.render(layout, settings, files, "check");
                swap.check(dir.resolve("haproxy.cfg"), text);
                return text;
            } catch (IOException e) {
                throw new BerthException("haproxy router: cannot write under " + settings.temp() + ": "
                        + e.getMessage(), e);
            } finally {
                if (dir != null) {
                    Generations.deleteTree(dir);
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
            return process.livePid();
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
        return runtimeApi.workerPid();
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
            return process.adopted();
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
                process.detach(settings.prefix());
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
            process.stopOwned(settings.prefix());
        }
    }

    private void stopWatch() {
        ProxyWatch w = watch;
        if (w != null) {
            w.close(); // outside the lock: a check in progress takes it
        }
    }

    /** Starts the owned haproxy again when it died, unless the router is closed; the watch's check. */
    private void reviveIfExited() {
        synchronized (lock) {
            if (!closed) {
                haproxy.reviveIfExited();
            }
        }
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    /**
     * Builds an {@link HaproxyRouter}; each setter checks its value at once (the options every
     * proxy router has are {@link ProxyRouterBuilder}'s). Not thread-safe.
     */
    public static final class Builder extends ProxyRouterBuilder<Builder> {
        /** UNIX socket paths are limited to 107 bytes; the longest one under the prefix is this. */
        private static final String LONGEST_SOCKET = "/run/master.sock";
        static final int MAX_PREFIX = 107 - LONGEST_SOCKET.length();

        private int threads = 1;
        private Path haproxyBinary;

        private Builder() {
            super("haproxy", Builder::checkPath, c -> "[kill, -USR2, <haproxy master pid>]");
        }

        /**
         * haproxy's worker threads; default 1. With more than one, haproxy may drop an access log
         * line when two threads log at once, so that {@link HaproxyRouter#traffic()} can fall short.
         */
        public Builder threads(int n) {
            this.threads = oneTo64("threads", n);
            return this;
        }

        /** The haproxy executable; default {@code /usr/sbin/haproxy}, else {@code haproxy} on the PATH. */
        public Builder haproxyBinary(Path binary) {
            this.haproxyBinary = require("haproxyBinary", binary).toAbsolutePath();
            return this;
        }

        /** Checks the options, finds haproxy and, in owned mode, starts it serving an empty table. */
        public HaproxyRouter build() {
            Options o = options();
            Path binary = HaproxyProcess.findHaproxy(haproxyBinary);
            HaproxyRouter router = new HaproxyRouter(o, threads, binary);
            if (o.owned()) {
                synchronized (router.lock) {
                    router.haproxy.start();
                }
                router.watch = ProxyWatch.start("haproxy", o.livenessInterval(), router::reviveIfExited);
            }
            return router;
        }

        /** A path option: plain characters only; the prefix also short enough for the sockets under it. */
        private static void checkPath(String option, Path p) {
            HaproxyConfig.checkPath(option, p);
            if (option.equals("prefix") && p.toString().length() > MAX_PREFIX) {
                throw new IllegalArgumentException("prefix: '" + p + "' is not allowed; must be at most "
                        + MAX_PREFIX + " characters long, so that " + p + LONGEST_SOCKET
                        + " fits a UNIX socket path (107 bytes)");
            }
        }
    }
}
