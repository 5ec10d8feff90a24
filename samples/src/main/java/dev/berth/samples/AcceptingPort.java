// A local port that accepts every connection and closes it: the readiness answer of ScaleBench's simulated instances.
package dev.berth.samples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A socket on 127.0.0.1 (a free port) that accepts connections and closes them at once, on one
 * daemon thread, until closed. ScaleBench gives every simulated instance this port as its
 * {@code PORT}, so the platform's readiness check (a TCP connect) passes for all of them, as it
 * would for real apps. Thread-safe.
 */
final class AcceptingPort implements AutoCloseable {
    private final ServerSocket socket;

    AcceptingPort() {
        try {
            socket = new ServerSocket(0, 4096, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1: " + e.getMessage(), e);
        }
        Thread t = new Thread(this::acceptAll, "scalebench-accept");
        t.setDaemon(true);
        t.start();
    }

    /** The port's number. */
    int port() {
        return socket.getLocalPort();
    }

    private void acceptAll() {
        while (!socket.isClosed()) {
            try (Socket s = socket.accept()) {
                s.setSoLinger(true, 0); // no TIME_WAIT left behind by thousands of probes
            } catch (IOException e) {
                // closed, or one connection reset: go on until closed
            }
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing more to do
        }
    }
}
