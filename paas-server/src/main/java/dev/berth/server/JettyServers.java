// The Jetty server under the control API, a leader's or a follower's: its threads, its one connector (HTTP or TLS), its start.
package dev.berth.server;

import dev.berth.api.BerthException;
import java.net.BindException;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** Builds and starts the control API's Jetty: no version in answers, 256 threads (an event stream holds one). */
final class JettyServers {
    private JettyServers() {
    }

    /** A server (not started) with one connector on {@code host:port}, over TLS when {@code tls} is not null. */
    static Server server(String host, int port, TlsReloader tls) {
        QueuedThreadPool threads = new QueuedThreadPool(256, 2);
        threads.setName("berth-api");
        threads.setDaemon(true);
        Server s = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        ServerConnector connector;
        if (tls == null) {
            connector = new ServerConnector(s, 1, 1, new HttpConnectionFactory(http));
        } else {
            http.addCustomizer(new SecureRequestCustomizer(false)); // one certificate: no SNI host check
            connector = new ServerConnector(s, 1, 1, new SslConnectionFactory(tls), new HttpConnectionFactory(http));
        }
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(60_000);
        s.addConnector(connector);
        s.setStopTimeout(2000);
        return s;
    }

    /** The port the server's connector listens on. */
    static int port(Server s) {
        return ((ServerConnector) s.getConnectors()[0]).getLocalPort();
    }

    /**
     * Starts the server; on failure stops it, runs {@code undo} and throws a {@link BerthException}
     * naming the address (and saying so when it is taken).
     */
    static void start(Server s, String host, int port, Runnable undo) {
        try {
            s.start();
        } catch (Exception e) {
            undo.run();
            try {
                s.stop();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            boolean inUse = e instanceof BindException || e.getCause() instanceof BindException;
            throw new BerthException("control API: cannot listen on " + host + ":" + port
                    + (inUse ? ": the address is in use or not available; choose another port (0 picks a free one)"
                            : ": " + e.getMessage()), e);
        }
    }

    private static final class SslConnectionFactory extends org.eclipse.jetty.server.SslConnectionFactory {
        SslConnectionFactory(TlsReloader tls) {
            super(tls.factory(), HttpVersion.HTTP_1_1.asString());
        }
    }
}
