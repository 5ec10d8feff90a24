package dev.berth.core;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The app the integration tests run as real processes: answers "instance pid" on every path,
 * and /health with 200, or 503 while a file named {@code unhealthy} is in its working directory.
 */
public final class TestHttpApp {
    private TestHttpApp() {
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv("PORT"));
        String id = System.getenv().getOrDefault("BERTH_INSTANCE_ID", "?");
        long pid = ProcessHandle.current().pid();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.createContext("/health", ex -> {
            boolean sick = Files.exists(Path.of("unhealthy"));
            byte[] body = (sick ? "sick" : "ok").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(sick ? 503 : 200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/", ex -> {
            byte[] body = (id + " " + pid + " " + System.getenv().getOrDefault("GREETING", "")).trim()
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.out.println("listening on " + port);
    }

    /** The argv that runs this app in a small JVM. */
    static List<String> command() {
        try {
            String classes = Path.of(TestHttpApp.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            return List.of(java, "-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-cp", classes,
                    TestHttpApp.class.getName());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
