package dev.berth.core.internal.git;

import dev.berth.api.BerthException;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import java.net.BindException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Objects;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jgit.http.server.GitServlet;
import org.eclipse.jgit.http.server.resolver.AsIsFileService;
import org.eclipse.jgit.http.server.resolver.DefaultUploadPackFactory;
import org.eclipse.jgit.transport.resolver.ServiceNotAuthorizedException;
import org.eclipse.jgit.transport.resolver.UploadPackFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded git smart-HTTP server (JGit's {@link GitServlet} on Jetty 12, ee10) for the apps'
 * {@link GitRepositories}. The URL of an app's repository is {@code http://HOST:PORT/APP} (or
 * {@code /APP.git}), with the password in it as Mako Master had it:
 * <pre>{@code git push http://git:PASSWORD@127.0.0.1:4001/beep main}</pre>
 *
 * <p>Every request, fetch or push, needs HTTP basic authentication with the server's password
 * (any user name). The first authenticated push to an app creates its repository; each branch a
 * push moves is reported to the {@link PushListener}. Only the smart protocol is served.
 *
 * {@snippet :
 * GitServer git = GitServer.builder(new GitRepositories(stateDir.resolve("git")))
 *         .password(secret)
 *         .port(4001)
 *         .listener((app, branch, commit) -> deployLater(app, branch, commit))
 *         .build()
 *         .start();
 * }
 *
 * <p>Thread-safe. {@link #start()} once; {@link #close()} stops serving (idempotent).
 */
public final class GitServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GitServer.class);

    private final GitRepositories repositories;
    private final String host;
    private final int requestedPort;
    private final byte[] passwordDigest;
    private final PushListener listener;
    private final long maxPushBytes;
    private final Duration timeout;

    /** Guarded by {@code this}. */
    private Server server;
    /** Guarded by {@code this}. */
    private int port = -1;
    /** Guarded by {@code this}. */
    private boolean closed;

    private GitServer(Builder b) {
        this.repositories = b.repositories;
        this.host = b.host;
        this.requestedPort = b.port;
        this.passwordDigest = Passwords.digest(b.password);
        this.listener = b.listener;
        this.maxPushBytes = b.maxPushBytes;
        this.timeout = b.timeout;
    }

    /** A builder for a server over these repositories. */
    public static Builder builder(GitRepositories repositories) {
        return new Builder(repositories);
    }

    /**
     * Binds and starts serving.
     *
     * @return this
     * @throws BerthException naming the address and port if it cannot listen there (e.g. the port is taken)
     * @throws IllegalStateException if already started or closed
     */
    public synchronized GitServer start() {
        if (server != null || closed) {
            throw new IllegalStateException("git server already " + (closed ? "closed" : "started"));
        }
        repositories.clearStaleLocks(ProcessHandle.current().info().startInstant().orElse(Instant.now()));
        QueuedThreadPool threads = new QueuedThreadPool(16, 2);
        threads.setName("berth-git");
        threads.setDaemon(true);
        Server s = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        ServerConnector connector = new ServerConnector(s, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(requestedPort);
        connector.setIdleTimeout(timeout.toMillis());
        s.addConnector(connector);

        GitServlet git = new GitServlet();
        git.setRepositoryResolver(new AppResolver(repositories));
        git.setAsIsFileService(AsIsFileService.DISABLED);
        git.setUploadPackFactory(uploadPacks());
        git.setReceivePackFactory(new PushReceivePackFactory(listener, maxPushBytes,
                (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toSeconds()))));
        ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
        context.setContextPath("/");
        context.addFilter(new FilterHolder(new BasicAuthFilter(passwordDigest)), "/*",
                EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder("git", git), "/*");
        s.setHandler(context);
        s.setStopTimeout(2000);
        try {
            s.start();
        } catch (Exception e) {
            stopQuietly(s);
            boolean inUse = causedBy(e, BindException.class);
            throw new BerthException("git server: cannot listen on " + hostForUrl() + ":" + requestedPort
                    + (inUse ? ": the address is already in use (or not available); choose another port "
                            + "(0 picks a free one) or stop what listens there"
                            : ": " + e.getMessage()), e);
        }
        this.server = s;
        this.port = connector.getLocalPort();
        LOG.info("git server listening on http://{}:{}/APP, repositories in {}", hostForUrl(), port,
                repositories.root());
        return this;
    }

    /** Fetches need the password too; JGit's default factory then serves them (protocol v2 if asked). */
    private static UploadPackFactory<HttpServletRequest> uploadPacks() {
        DefaultUploadPackFactory delegate = new DefaultUploadPackFactory();
        return (req, db) -> {
            if (!Boolean.TRUE.equals(req.getAttribute(BasicAuthFilter.AUTHENTICATED))) {
                throw new ServiceNotAuthorizedException();
            }
            return delegate.create(req, db);
        };
    }

    /** The port it listens on (the picked one when built with port 0). */
    public synchronized int port() {
        if (server == null) {
            throw new IllegalStateException("git server not started");
        }
        return port;
    }

    /** The address it binds, as configured. */
    public String host() {
        return host;
    }

    /** The app's repository URL without credentials, e.g. {@code http://127.0.0.1:4001/beep}. */
    public URI url(String app) {
        return URI.create("http://" + hostForUrl() + ":" + port() + "/" + GitRepositories.checkName(app));
    }

    /** The repositories it serves. */
    public GitRepositories repositories() {
        return repositories;
    }

    /** Stops serving; pushes in progress are cut off after a short grace period. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (server != null) {
            stopQuietly(server);
            server = null;
            LOG.info("git server on {}:{} stopped", hostForUrl(), port);
        }
    }

    private String hostForUrl() {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static void stopQuietly(Server s) {
        try {
            s.stop();
        } catch (Exception e) {
            LOG.warn("git server: error while stopping", e);
        }
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "GitServer[" + hostForUrl() + ":" + requestedPort + ", " + repositories.root() + "]";
    }

    /** Configures a {@link GitServer}; each setter checks its value. Not thread-safe. */
    public static final class Builder {
        private final GitRepositories repositories;
        private String host = "127.0.0.1";
        private int port;
        private String password;
        private PushListener listener = PushListener.NONE;
        private long maxPushBytes = 1L << 30;
        private Duration timeout = Duration.ofMinutes(2);

        private Builder(GitRepositories repositories) {
            this.repositories = Objects.requireNonNull(repositories, "repositories");
        }

        /** The address to bind; default {@code 127.0.0.1}. {@code 0.0.0.0} listens on every interface. */
        public Builder bindAddress(String host) {
            if (host == null || host.isBlank() || !host.matches("[A-Za-z0-9.:\\[\\]%_-]{1,255}")) {
                throw new IllegalArgumentException("git server bind address: '" + host
                        + "' is not allowed; give an IP address or host name such as 127.0.0.1");
            }
            this.host = host;
            return this;
        }

        /** The port; default 0, which picks a free one ({@link GitServer#port()} tells which). */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("git server port: " + port + " is not allowed; give 0-65535 "
                        + "(0 picks a free port)");
            }
            this.port = port;
            return this;
        }

        /** The password every request must carry (required, not empty). Only its SHA-256 digest is kept. */
        public Builder password(String password) {
            if (password == null || password.isEmpty()) {
                throw new IllegalArgumentException("git server password: an empty password is not allowed; "
                        + "every fetch and push must carry one");
            }
            this.password = password;
            return this;
        }

        /** Told of each pushed branch; default none. */
        public Builder listener(PushListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** The largest pack a push may send, in bytes; default 1 GiB. */
        public Builder maxPushBytes(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("git server maxPushBytes: " + bytes + " is not allowed; give a "
                        + "positive number of bytes");
            }
            this.maxPushBytes = bytes;
            return this;
        }

        /** How long a connection may stay idle mid-request; default 2 minutes. */
        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("git server timeout: " + timeout + " is not allowed; give at "
                        + "least 1 second");
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * A server, not yet started.
         *
         * @throws IllegalStateException if no password was set
         */
        public GitServer build() {
            if (password == null) {
                throw new IllegalStateException("git server: a password is required (password(...))");
            }
            return new GitServer(this);
        }

        @Override
        public String toString() {
            return "GitServer.Builder[" + host + ":" + port + ", password=" + (password == null ? "unset" : "***") + "]";
        }
    }
}
