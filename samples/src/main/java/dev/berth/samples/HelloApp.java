package dev.berth.samples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Executors;

/**
 * The small HTTP app that the quickstart runs: it answers every request with its instance id,
 * release and pid, and {@code /health} with 200 (or 503 when {@code HELLO_UNHEALTHY=yes} is in its
 * environment, or while a file named {@code unhealthy}
 * exists in its working directory). It listens on 127.0.0.1 and the port in {@code PORT}.
 */
public final class HelloApp {
    private HelloApp() {
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        String instance = System.getenv().getOrDefault("BERTH_INSTANCE_ID", "unknown");
        String release = System.getenv().getOrDefault("BERTH_RELEASE", "unknown");
        long pid = ProcessHandle.current().pid();
        boolean alwaysSick = "yes".equals(System.getenv("HELLO_UNHEALTHY"));
        // Without TCP_NODELAY the JDK's server answers a proxy's kept-alive connection only after
        // the proxy's delayed ACK (about 40 ms a request).
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/health", ex -> {
            boolean sick = alwaysSick || Files.exists(Path.of("unhealthy"));
            answer(ex, sick ? 503 : 200, sick ? "unhealthy\n" : "ok\n");
        });
        server.createContext("/", ex -> answer(ex, 200,
                "hello from " + instance + " (release " + release + ", pid " + pid + ")\n"));
        server.start();
        System.out.println(Instant.now() + " " + instance + " listening on 127.0.0.1:" + port + " as pid " + pid);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println(Instant.now() + " " + instance + " stopping");
            server.stop(1); // lets the requests in flight finish (at most 1 s)
        }));
    }

    private static void answer(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
