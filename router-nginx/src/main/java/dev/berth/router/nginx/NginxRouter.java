// Routes domains to apps' endpoints through nginx: the public router and its builder; the process and the swap are NginxProcess's and ConfigSwap's.
package dev.berth.router.nginx;

import dev.berth.api.BerthException;
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
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Supplier;
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

    private final Object lock = new Object();
    private final NginxConfig.Settings settings;
    private final Path configFile;
    private final boolean keepRunningOnClose;
    /** Restarts the owned nginx when it died; null in external mode and before the start. */
    private volatile ProxyWatch watch;
    // guarded by lock
    private final AccessLog accessLog;
    /** The owned master: started by this router, or adopted from an earlier one with the same prefix. */
    private final ProxyProcess process;
    private final NginxProcess nginx;
    private final ConfigSwap swap;
    private boolean closed;

    private NginxRouter(ProxyRouterBuilder.Options o, int workerProcesses, Path binary) {
        ProxyUser user = o.user();
        Path temp = o.prefix().resolve("temp");
        Path workerTemp = user == null ? temp : WorkerTemp.choose(temp, user, WorkerTemp.FALLBACK_ROOT);
        this.settings = new NginxConfig.Settings(o.prefix(), o.listenAddress(), o.httpPort(), o.httpsPort(),
                workerProcesses, user == null ? null : user.name() + " " + user.group(), workerTemp);
        this.configFile = o.configFile(settings.conf());
        this.keepRunningOnClose = o.keepRunningOnClose();
        this.process = new ProxyProcess("nginx", o.listenAddress(), o.httpPort(), o.httpsPort(), o.reloadTimeout());
        try {
            Files.createDirectories(configFile.getParent());
            Files.createDirectories(settings.errorLog().getParent());
            Files.createDirectories(settings.temp());
            for (String t : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
                Files.createDirectories(settings.workerTemp().resolve(t)); // nginx hands them to the workers' user
            }
            this.accessLog = AccessLog.fromEnd(settings.accessLog());
            this.nginx = new NginxProcess(settings, binary, configFile, o.reloadCommand(), process);
            this.swap = nginx.swap();
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
            String gen = process.nextGeneration();
            String text = NginxConfig.render(table, settings, gen);
            if (NginxConfig.usesTls(table) && !nginx.listensHttps()) {
                process.checkPortFree(settings.httpsPort(), "httpsPort"); // the first TLS route opens the port
            }
            nginx.reviveIfExited(); // a killed nginx serves again before it reloads
            long[] validated = new long[1];
            Supplier<Long> reload = () -> {
                validated[0] = System.nanoTime();
                return nginx.reload(gen);
            };
            // should nginx die under the reload, the last good table serves again, then this one
            long answered = process.retryIfDied(() -> swap.swap(text, reload), nginx::reviveIfExited);
            long done = System.nanoTime();
            LOG.info("nginx router: {} domain(s) serving (generation {}) after {} ms: render and nginx -t {} ms, "
                    + "reload until the new generation answers {} ms, until the old workers finished {} ms",
                    table.routes().size(), gen, millis(done - started), millis(validated[0] - started),
                    millis(answered - validated[0]), millis(done - answered));
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
                swap.check(file, text);
                return text;
            } catch (IOException e) {
                throw new BerthException("nginx router: cannot write " + file + ": " + e.getMessage(), e);
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
            return process.livePid();
        }
    }

    /** Whether the owned nginx was already running when this router was built (it adopted it). */
    public boolean adopted() {
        synchronized (lock) {
            return process.adopted();
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
                process.detach(settings.prefix());
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
            if (process.stopOwned(settings.prefix())) {
                WorkerTemp.deleteFallback(settings.workerTemp(), settings.temp());
            }
        }
    }

    private void stopWatch() {
        ProxyWatch w = watch;
        if (w != null) {
            w.close(); // outside the lock: a check in progress takes it
        }
    }

    /** Starts the owned nginx again when it died, unless the router is closed; the watch's check. */
    private void reviveIfExited() {
        synchronized (lock) {
            if (!closed) {
                nginx.reviveIfExited();
            }
        }
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    /**
     * Builds an {@link NginxRouter}; each setter checks its value at once (the options every proxy
     * router has are {@link ProxyRouterBuilder}'s). Not thread-safe.
     */
    public static final class Builder extends ProxyRouterBuilder<Builder> {
        private int workerProcesses = 1;
        private Path nginxBinary;

        private Builder() {
            super("nginx", NginxConfig::checkPath, c -> "[nginx, -s, reload, -c, " + c + "]");
        }

        /** nginx worker processes; default 1. */
        public Builder workerProcesses(int n) {
            this.workerProcesses = oneTo64("workerProcesses", n);
            return this;
        }

        /** The nginx executable; default {@code /usr/sbin/nginx}, else {@code nginx} on the PATH. */
        public Builder nginxBinary(Path binary) {
            this.nginxBinary = require("nginxBinary", binary).toAbsolutePath();
            return this;
        }

        /** Checks the options, finds nginx and, in owned mode, starts it serving an empty table. */
        public NginxRouter build() {
            Options o = options();
            Path binary = NginxProcess.findNginx(nginxBinary);
            NginxRouter router = new NginxRouter(o, workerProcesses, binary);
            if (o.owned()) {
                synchronized (router.lock) {
                    try {
                        router.nginx.start();
                    } catch (RuntimeException e) {
                        WorkerTemp.deleteFallback(router.settings.workerTemp(), router.settings.temp());
                        throw e;
                    }
                }
                router.watch = ProxyWatch.start("nginx", o.livenessInterval(), router::reviveIfExited);
            }
            return router;
        }
    }
}
