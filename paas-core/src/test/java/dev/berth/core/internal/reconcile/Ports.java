package dev.berth.core.internal.reconcile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Real ports on 127.0.0.1 for the fake backend's instances: reserved (connects refused), then listening. */
final class Ports {
    private Ports() {
    }

    /** One instance's port. Thread-safe. */
    static final class Port {
        private final int number;
        private Socket reservation;
        private ServerSocket server;
        private boolean closed;

        private Port(int number, Socket reservation) {
            this.number = number;
            this.reservation = reservation;
        }

        int number() {
            return number;
        }

        synchronized boolean listening() {
            return server != null;
        }

        /** Listens from now on, accepting and closing every connection. */
        synchronized void listen() {
            if (closed || server != null) {
                return;
            }
            try {
                reservation.close();
                ServerSocket s = new ServerSocket();
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), number), 50);
                serve(s);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot listen on 127.0.0.1:" + number, e);
            }
        }

        private synchronized void serve(ServerSocket s) {
            server = s;
            Thread t = new Thread(() -> acceptAll(s), "fake-instance-" + number);
            t.setDaemon(true);
            t.start();
        }

        /** The "process" is gone: nothing listens and nothing holds the port. */
        synchronized void close() {
            closed = true;
            try {
                if (reservation != null) {
                    reservation.close();
                }
                if (server != null) {
                    server.close();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static void acceptAll(ServerSocket s) {
            while (!s.isClosed()) {
                try (Socket c = s.accept()) {
                    c.shutdownOutput(); // an orderly close, as an app that accepts and hangs up
                } catch (IOException e) {
                    return;
                }
            }
        }
    }

    /**
     * A fresh port, listening at once or only reserved (bound, not listening: every connect is
     * refused). A listening one is bound by its server socket directly: closing a reservation and
     * binding again would leave a moment in which another process (a parallel build's tests) may
     * take the port.
     */
    static Port open(boolean listening) {
        try {
            if (listening) {
                ServerSocket s = new ServerSocket();
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
                Port p = new Port(s.getLocalPort(), null);
                p.serve(s);
                return p;
            }
            Socket reservation = new Socket();
            reservation.setReuseAddress(true);
            reservation.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return new Port(reservation.getLocalPort(), reservation);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reserve a port on 127.0.0.1", e);
        }
    }
}
