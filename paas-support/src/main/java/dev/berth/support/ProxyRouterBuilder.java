// What the nginx and haproxy router builders share: the options of an owned or external proxy, each checked as it is set.
package dev.berth.support;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The options every proxy router has (owned or external proxy, address and ports, timeouts, the
 * workers' user, what close does), each checked when it is set; a router's own builder extends it
 * with its proxy's options and a {@code build()} that starts from {@link #options()}. Setters return
 * the router's builder ({@code B}). Not thread-safe.
 *
 * @param <B> the router's builder
 */
public abstract class ProxyRouterBuilder<B extends ProxyRouterBuilder<B>> {
    private static final Pattern IP = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*");

    private final String proxy;
    private final BiConsumer<String, Path> pathCheck;
    private final Function<Path, String> reloadExample;
    private Path prefix;
    private Path configFile;
    private List<String> reloadCommand = List.of();
    private String listenAddress = "127.0.0.1";
    private int httpPort = 8080;
    private int httpsPort = 8443;
    private Duration reloadTimeout = Duration.ofSeconds(10);
    private String proxyUser = ProxyUser.DEFAULT;
    private boolean keepRunningOnClose;
    private Duration livenessInterval = Duration.ofSeconds(1);

    /**
     * A builder for a router of {@code proxy} ("nginx", "haproxy"). {@code pathCheck} checks a path
     * option (its name, the absolute normalized path: {@code prefix}, {@code external.configFile})
     * and throws {@link IllegalArgumentException} naming it; {@code reloadExample} shows a reload
     * command for a config file in the error for a bad one.
     */
    protected ProxyRouterBuilder(String proxy, BiConsumer<String, Path> pathCheck,
            Function<Path, String> reloadExample) {
        this.proxy = Objects.requireNonNull(proxy, "proxy");
        this.pathCheck = Objects.requireNonNull(pathCheck, "pathCheck");
        this.reloadExample = Objects.requireNonNull(reloadExample, "reloadExample");
    }

    /**
     * The options as {@code build()} takes them: a router needs a prefix or an external proxy, and
     * different HTTP and HTTPS ports; the prefix of an external proxy defaults to its config file's
     * directory; in owned mode, when this JVM runs as root, {@link #proxyUser} is looked up.
     * Immutable.
     */
    public record Options(Path prefix, Path configFile, List<String> reloadCommand, String listenAddress,
            int httpPort, int httpsPort, Duration reloadTimeout, ProxyUser user, boolean keepRunningOnClose,
            Duration livenessInterval) {
        /** Whether the router starts its own proxy (no reload command: no external one). */
        public boolean owned() {
            return reloadCommand.isEmpty();
        }

        /** The external proxy's config file, or {@code ownedDefault} for an owned one. */
        public Path configFile(Path ownedDefault) {
            return configFile != null ? configFile : ownedDefault;
        }
    }

    /**
     * Whether the router's close leaves the owned proxy serving its last configuration (for the
     * next router on the same prefix to adopt, as when this JVM is killed) instead of stopping it;
     * default {@code false}. The router's {@code stop()} stops it either way.
     */
    public B keepRunningOnClose(boolean keep) {
        this.keepRunningOnClose = keep;
        return self();
    }

    /**
     * How often the router checks that its owned proxy runs, to start it again when it died;
     * default 1 s, from 50 ms to 10 minutes. One daemon thread per router.
     */
    public B livenessInterval(Duration interval) {
        this.livenessInterval = ProxyWatch.checkInterval("livenessInterval", interval);
        return self();
    }

    /**
     * The user the proxy's workers run as when this JVM runs as root (nginx's {@code user}
     * directive, haproxy's {@code user} and {@code group}: the user and its primary group); default
     * {@code www-data}. The master keeps root to bind ports, open the logs, reload and read
     * certificate keys; {@code root} keeps the workers root (not recommended). Applies to an owned
     * proxy only, when this JVM is root; the user must exist when {@code build()} runs.
     */
    public B proxyUser(String user) {
        this.proxyUser = ProxyUser.checkName("proxyUser", user);
        return self();
    }

    /**
     * The directory that holds the config, pid file, logs and the proxy's other files (owned mode;
     * in external mode: where those other files go, default the config file's directory).
     */
    public B prefix(Path prefix) {
        Path p = require("prefix", prefix).toAbsolutePath().normalize();
        pathCheck.accept("prefix", p);
        this.prefix = p;
        return self();
    }

    /**
     * Drives a proxy that already runs with {@code configFile}: the router writes that file and
     * runs {@code reloadCommand} (an argv list) after each validated change. The rendered file puts
     * the pid file, logs and the router's other files under {@link #prefix} (default: the file's
     * directory).
     */
    public B external(Path configFile, List<String> reloadCommand) {
        Path c = require("external.configFile", configFile).toAbsolutePath().normalize();
        pathCheck.accept("external.configFile", c);
        if (reloadCommand == null || reloadCommand.isEmpty() || reloadCommand.stream()
                .anyMatch(a -> a == null || a.indexOf('\0') >= 0)) {
            throw new IllegalArgumentException("external.reloadCommand: " + reloadCommand
                    + " is not allowed; must be a non-empty argv list without null or NUL, e.g. "
                    + reloadExample.apply(c));
        }
        this.configFile = c;
        this.reloadCommand = List.copyOf(reloadCommand);
        return self();
    }

    /** The TCP port the proxy listens on for HTTP; default 8080. */
    public B httpPort(int port) {
        this.httpPort = port("httpPort", port);
        return self();
    }

    /**
     * The TCP port the proxy listens on for HTTPS, on the same address, while at least one route
     * has {@link dev.berth.api.Tls}; default 8443. The first such route checks that it is free.
     */
    public B httpsPort(int port) {
        this.httpsPort = port("httpsPort", port);
        return self();
    }

    /** The IP address the proxy listens on (HTTP and HTTPS); default 127.0.0.1. */
    public B listenAddress(String address) {
        if (address == null || !IP.matcher(address).matches()) {
            throw new IllegalArgumentException("listenAddress: '" + address
                    + "' is not allowed; must be an IPv4 or IPv6 address such as 127.0.0.1");
        }
        this.listenAddress = address;
        return self();
    }

    /** How long a reload (or the start) may take to serve the new configuration; default 10 s. */
    public B reloadTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException("reloadTimeout: " + timeout
                    + " is not allowed; must be more than 0 and at most 5 minutes");
        }
        this.reloadTimeout = timeout;
        return self();
    }

    /**
     * Checks the options that depend on each other and returns them (see {@link Options}).
     *
     * @throws IllegalArgumentException naming the option, the value and what is allowed
     */
    protected final Options options() {
        if (configFile == null && prefix == null) {
            throw new IllegalArgumentException("prefix: nothing is not allowed; set prefix(dir) for an owned " + proxy
                    + " or external(configFile, reloadCommand) for a running one");
        }
        if (httpsPort == httpPort) {
            throw new IllegalArgumentException("httpsPort: " + httpsPort + " is not allowed; must differ from "
                    + "httpPort " + httpPort);
        }
        if (prefix == null) {
            prefix = configFile.getParent();
            pathCheck.accept("prefix", prefix);
        }
        // owned mode only: an external proxy runs as its operator set it up (a non-root one could not switch)
        ProxyUser user = reloadCommand.isEmpty() && ProxyUser.runningAsRoot()
                ? ProxyUser.lookup("proxyUser", proxyUser, ProxyUser.PASSWD, ProxyUser.GROUP) : null;
        return new Options(prefix, configFile, reloadCommand, listenAddress, httpPort, httpsPort, reloadTimeout, user,
                keepRunningOnClose, livenessInterval);
    }

    /** {@code value}, or an error naming {@code option} when it is {@code null}. */
    protected static <T> T require(String option, T value) {
        if (value == null) {
            throw new IllegalArgumentException(option + ": nothing is not allowed; must be set");
        }
        return value;
    }

    /** {@code n}, or an error naming {@code option} when it is not from 1 to 64 (workers, threads). */
    protected static int oneTo64(String option, int n) {
        if (n < 1 || n > 64) {
            throw new IllegalArgumentException(option + ": " + n + " is not allowed; must be 1-64");
        }
        return n;
    }

    private static int port(String option, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(option + ": " + port + " is not allowed; must be 1-65535");
        }
        return port;
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }
}
