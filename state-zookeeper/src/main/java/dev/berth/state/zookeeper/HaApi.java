// A controller's API on its one address: the leader's ControlServer while it leads, a follower's forwarding one otherwise.
package dev.berth.state.zookeeper;

import dev.berth.core.Platform;
import dev.berth.server.ControlServer;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one API listening on {@code host:port} across changes of lead: while this controller leads,
 * a {@link ControlServer} over its platform; otherwise a follower that forwards every request to
 * the leader, whose address is its {@link Leadership} id (so the id must be the controller's API
 * URL, such as {@code http://10.0.0.5:4000}). A switch closes one server and opens the other on
 * the same port: a request in that moment is refused and should be retried. Wire it to an
 * {@link HaController}'s {@code onLead}/{@code onStepDown}. Thread-safe.
 */
public final class HaApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HaApi.class);
    private final String host;
    private final int port;
    private final Leadership leadership;
    private final Function<ControlServer.Builder, ControlServer.Builder> configure;
    private ControlServer server; // guarded by this
    private boolean closed;

    /**
     * An API on {@code host:port} (not 0: the controllers name each other by it); {@code configure}
     * adds what both kinds of server need beyond the platform and address: tokens, TLS, hooks.
     */
    public HaApi(String host, int port, Leadership leadership, Function<ControlServer.Builder, ControlServer.Builder> configure) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("HaApi port " + port + " is not allowed: 1-65535 (the others reach it there)");
        }
        this.host = Objects.requireNonNull(host, "host");
        this.port = port;
        this.leadership = Objects.requireNonNull(leadership, "leadership");
        this.configure = Objects.requireNonNull(configure, "configure");
    }

    /** This controller's API URL: what its {@link Leadership} id must be. */
    public static String url(String host, int port) {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** Starts serving as a follower (the controller leads only once elected). */
    public synchronized void start() {
        following();
    }

    /** Serves {@code platform}: this controller leads. */
    public synchronized void leading(Platform platform) {
        if (closed) {
            return;
        }
        switchTo(() -> configure.apply(ControlServer.builder().platform(platform).bind(host, port).leader(this::leader)).build(),
                "leader");
    }

    /** Forwards to the leader: this controller follows. */
    public synchronized void following() {
        if (closed) {
            return;
        }
        switchTo(() -> configure.apply(ControlServer.builder().bind(host, port).follower(this::leader)).build(), "follower");
    }

    private Optional<String> leader() {
        return leadership.leader();
    }

    private void switchTo(java.util.function.Supplier<ControlServer> next, String as) {
        if (server != null) {
            server.close();
            server = null;
        }
        server = next.get();
        LOG.info("ha: the API on {} serves as {}", server.url(), as);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (server != null) {
            server.close();
            server = null;
        }
    }
}
