package dev.berth.support.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The program of an {@link UpstreamProcess}: an HTTP server on 127.0.0.1:PORT that answers every
 * request with 200 and NAME after DELAY_MS, so that requests are in flight when it is killed.
 * Arguments: PORT NAME DELAY_MS. Uses the JDK only.
 */
public final class UpstreamMain {
    private UpstreamMain() {
    }

    /** Serves until killed. */
    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        byte[] body = args[1].getBytes(StandardCharsets.UTF_8);
        long delay = Long.parseLong(args[2]);
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
        s.setExecutor(Executors.newFixedThreadPool(32));
        s.createContext("/", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        s.start();
    }
}
