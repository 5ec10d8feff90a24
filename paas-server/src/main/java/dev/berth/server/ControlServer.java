// The control API server: Jetty on one address and port, serving a platform's operations as JSON to token holders.
package dev.berth.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.BerthException;
import dev.berth.core.Platform;
import dev.berth.api.PlatformListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.websocket.server.config.JettyWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Berth's control API over HTTP, embeddable in any host application:
 *
 * <pre>{@code
 * ControlServer api = ControlServer.builder()
 *         .platform(platform)
 *         .bind("127.0.0.1", 4000)
 *         .tokens(Tokens.load(Path.of("/etc/berth/tokens")))
 *         .tlsPem(Path.of("/etc/berth/cert.pem"), Path.of("/etc/berth/key.pem"))   // optional: HTTPS only
 *         .build();            // listening; api.port() is the port (bind port 0 picks a free one)
 * }</pre>
 *
 * The resources are under {@code /v1} ({@code docs/api.md}); JSON in and out, an app's JSON being
 * one app of the YAML manifest schema. The web page is at {@code /}, with the same tokens. With TLS, changed certificate files are served to new
 * connections without a restart. {@link #close()} stops it; the platform is not closed. Thread-safe.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    private final Server server;
    private final String host;
    private final int port;
    private final Platform platform;
    private final List<PlatformListener> listeners;
    private final EventStream streams;
    private final TlsReloader tls; // null without TLS

    private ControlServer(Server server, String host, int port, Platform platform, List<PlatformListener> listeners,
                          EventStream streams, TlsReloader tls) {
        this.server = server;
        this.tls = tls;
        this.host = host;
        this.port = port;
        this.platform = platform;
        this.listeners = listeners;
        this.streams = streams;
    }

    /** A builder; {@link Builder#platform} and {@link Builder#tokens} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The port it listens on. */
    public int port() {
        return port;
    }

    /** Its base URL, such as {@code http://127.0.0.1:4000}, or {@code https://...} with TLS. */
    public String url() {
        return (tls == null ? "http://" : "https://") + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** The TLS reloader, or null without TLS (for tests). */
    TlsReloader tls() {
        return tls;
    }

    /** Stops serving (requests in progress get up to 2 s) and watching the certificate files. */
    @Override
    public void close() {
        if (tls != null) {
            tls.close();
        }
        if (streams != null) {
            streams.close();
        }
        if (platform != null) {
            listeners.forEach(platform::removeListener);
        }
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("control API: stopping the server: {}", e.toString());
        }
    }

    /** Builds and starts a {@link ControlServer}. */
    public static final class Builder {
        /** The largest request body accepted by default (an app spec is far smaller). */
        public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;
        private Platform platform;
        private Tokens tokens;
        private String host = "127.0.0.1";
        private int port = 4000;
        private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private EventIndexStore eventIndex;
        private int eventBuffer = 10_000;
        private Duration heartbeat = Duration.ofSeconds(15);
        private AllowList allowList = AllowList.everyone();
        private TlsKeys.Source tlsSource;
        private Duration tlsReloadInterval = Duration.ofSeconds(2);
        private dev.berth.hooks.Hooks hooks;
        private java.util.function.Supplier<java.util.Optional<String>> leader;
        private boolean follower;

        private Builder() {
        }

        /** The platform it drives. */
        public Builder platform(Platform platform) {
            this.platform = Objects.requireNonNull(platform, "platform");
            return this;
        }

        /** The address and port to listen on (default 127.0.0.1:4000; port 0 picks a free one). */
        public Builder bind(String host, int port) {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("bind: host must be an address such as 127.0.0.1, not '" + host + "'");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("bind: port " + port + " is not allowed; must be 0-65535");
            }
            this.host = host;
            this.port = port;
            return this;
        }

        /** The tokens it accepts. */
        public Builder tokens(Tokens tokens) {
            this.tokens = Objects.requireNonNull(tokens, "tokens");
            return this;
        }

        /** The largest request body (1 KiB-64 MiB; default 1 MiB); a larger one gets 413. */
        public Builder maxBodyBytes(int bytes) {
            if (bytes < 1024 || bytes > 64 << 20) {
                throw new IllegalArgumentException("maxBodyBytes " + bytes + " is not allowed; must be 1024-67108864");
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        /**
         * Where the event index is kept across restarts (e.g. {@code state/api-event-index}); without
         * it, indexes start at 1 with each server and resuming clients get a resync.
         */
        public Builder eventIndexFile(Path file) {
            return eventIndex(EventIndexStore.file(Objects.requireNonNull(file, "eventIndexFile")));
        }

        /** Where the event index is kept: {@link EventIndexStore#file}, or a store the controllers of one platform share. */
        public Builder eventIndex(EventIndexStore store) {
            this.eventIndex = Objects.requireNonNull(store, "eventIndex");
            return this;
        }

        /** How many recent events a resuming stream can get (100-1,000,000; default 10,000). */
        public Builder eventBuffer(int events) {
            if (events < 100 || events > 1_000_000) {
                throw new IllegalArgumentException("eventBuffer " + events + " is not allowed; must be 100-1000000");
            }
            this.eventBuffer = events;
            return this;
        }

        /** The hook modules whose presets and jobs it serves ({@code /v1/modules}, {@code /v1/jobs}); optional. */
        public Builder hooks(dev.berth.hooks.Hooks hooks) {
            this.hooks = Objects.requireNonNull(hooks, "hooks");
            return this;
        }

        /**
         * Where the leader's API is, among several controllers ({@code GET /v1/leader}): a
         * controller that leads answers its own URL; see {@link #follower}.
         */
        public Builder leader(java.util.function.Supplier<java.util.Optional<String>> leaderUrl) {
            this.leader = Objects.requireNonNull(leaderUrl, "leader");
            return this;
        }

        /**
         * Serves as a follower: every request is forwarded to the leader that {@link #leader} names
         * (503 with {@code Retry-After} while there is none); no platform is needed.
         */
        public Builder follower(java.util.function.Supplier<java.util.Optional<String>> leaderUrl) {
            leader(leaderUrl);
            this.follower = true;
            return this;
        }

        /** The addresses that may call at all (default everyone); others get 403 before anything else. */
        public Builder allow(AllowList allowList) {
            this.allowList = Objects.requireNonNull(allowList, "allowList");
            return this;
        }

        /** How often an idle event stream gets a comment line (100 ms-5 min; default 15 s). */
        public Builder heartbeat(Duration every) {
            if (every == null || every.toMillis() < 100 || every.toMinutes() > 5) {
                throw new IllegalArgumentException("heartbeat " + every + " is not allowed; must be 100ms-5m");
            }
            this.heartbeat = every;
            return this;
        }

        /**
         * Serves HTTPS only (TLS 1.2 and 1.3) with a PEM certificate chain (one or more
         * {@code CERTIFICATE} blocks, the server's first) and its unencrypted PKCS#8
         * {@code PRIVATE KEY} (RSA or EC). Both are read and checked at {@link #build()}, and again
         * whenever they change ({@link #tlsReloadInterval}).
         */
        public Builder tlsPem(Path certificateChain, Path privateKey) {
            noOtherTls("tlsPem");
            this.tlsSource = TlsKeys.Source.pem(certificateChain, privateKey);
            return this;
        }

        /**
         * Serves HTTPS only (TLS 1.2 and 1.3) with a PKCS#12 file holding one private key (RSA or EC)
         * and its chain; read and checked at {@link #build()} and again whenever it changes.
         *
         * @param password the file's password (empty for none); copied, so the caller may clear it
         */
        public Builder tlsPkcs12(Path file, char[] password) {
            noOtherTls("tlsPkcs12");
            this.tlsSource = TlsKeys.Source.pkcs12(file, password);
            return this;
        }

        /** How often the TLS files are looked at for changes (100 ms-10 min; default 2 s). */
        public Builder tlsReloadInterval(Duration every) {
            if (every == null || every.toMillis() < 100 || every.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("tlsReloadInterval " + every + " is not allowed; must be 100ms-10m");
            }
            this.tlsReloadInterval = every;
            return this;
        }

        private void noOtherTls(String option) {
            if (tlsSource != null) {
                throw new IllegalArgumentException(option + ": " + tlsSource.option()
                        + "(...) is already set; give either tlsPem or tlsPkcs12, not both");
            }
        }

        /**
         * Starts the server.
         *
         * @throws BerthException naming the address when it cannot listen there
         * @throws IllegalArgumentException naming the option and file when a TLS file is missing or
         *         bad (then nothing listens)
         * @throws IllegalStateException without a platform or tokens
         */
        public ControlServer build() {
            if (follower) {
                return buildFollower();
            }
            if (platform == null || tokens == null) {
                throw new IllegalStateException("control API: set " + (platform == null ? "platform(...)" : "tokens(...)"));
            }
            TlsReloader tls = tlsSource == null ? null : TlsReloader.load(tlsSource, tlsReloadInterval);
            Server s = JettyServers.server(host, port, tls);
            ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
            context.setContextPath("/");
            ObjectMapper json = new ObjectMapper();
            EventLog events = new EventLog(eventBuffer, eventIndex, json);
            Metrics metrics = new Metrics(platform);
            EventStream streams = new EventStream(events, json, heartbeat.toMillis());
            JettyWebSocketServletContainerInitializer.configure(context, null); // the terminals' WebSockets
            java.util.concurrent.atomic.AtomicReference<String> self = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.function.Supplier<java.util.Optional<String>> leaderUrl = leader != null ? leader
                    : () -> java.util.Optional.ofNullable(self.get()); // alone: it leads
            ServletHolder api = new ServletHolder("api", new ApiServlet(platform, tokens, json, maxBodyBytes, streams, allowList, metrics,
                    new HookResources(hooks, json), leaderUrl));
            context.addServlet(api, "/v1/*");
            context.addServlet(api, "/metrics");
            WebServlet web = new WebServlet(platform, new WebSession(tokens, tls != null), allowList,
                    new WebLive(events, streams), heartbeat.toMillis(), hooks);
            context.addServlet(new ServletHolder("web", web), "/"); // everything else: the web page
            s.setHandler(context);
            platform.addListener(events);
            platform.addListener(metrics);
            JettyServers.start(s, host, port, () -> {
                platform.removeListener(events);
                platform.removeListener(metrics);
            });
            ControlServer server = new ControlServer(s, host, JettyServers.port(s), platform, List.of(events, metrics),
                    streams, tls);
            self.set(server.url());
            if (tls != null) {
                tls.start();
            }
            LOG.info("control API listening on {} ({} token(s), allowed: {})", server.url(), tokens.size(), allowList);
            return server;
        }

        /** A follower's server: everything forwarded to the leader ({@link LeaderForwarder}). */
        private ControlServer buildFollower() {
            TlsReloader tls = tlsSource == null ? null : TlsReloader.load(tlsSource, tlsReloadInterval);
            Server s = JettyServers.server(host, port, tls);
            ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
            context.setContextPath("/");
            String self = (tls == null ? "http://" : "https://") + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
            context.addServlet(new ServletHolder("follower", new LeaderForwarder(leader, self, allowList)), "/*");
            s.setHandler(context);
            JettyServers.start(s, host, port, () -> { });
            ControlServer server = new ControlServer(s, host, JettyServers.port(s), null, List.of(), null, tls);
            if (tls != null) {
                tls.start();
            }
            LOG.info("control API on {} follows: requests go to the leader", server.url());
            return server;
        }
    }
}
