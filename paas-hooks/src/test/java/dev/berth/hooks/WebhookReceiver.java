// A webhook receiver on a loopback port for the hooks' ITs: checks each signature, keeps the jobs, fails an app's jobs on demand.
package dev.berth.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The JDK's HTTP server on 127.0.0.1; a request with a bad signature is answered 401 and counted. */
final class WebhookReceiver implements AutoCloseable {
    static final String SECRET = "a-webhook-secret-0123456789";
    private static final Pattern HEADER = Pattern.compile("t=([0-9]+),v1=([0-9a-f]{64})");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    final List<JsonNode> jobs = new CopyOnWriteArrayList<>();
    final List<String> refused = new CopyOnWriteArrayList<>();
    final Set<String> failing = ConcurrentHashMap.newKeySet();
    volatile long delayMillis;

    WebhookReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
        server.createContext("/hook", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            int status = 200;
            Matcher m = HEADER.matcher(String.valueOf(ex.getRequestHeaders().getFirst(WebhookModule.SIGNATURE)));
            JsonNode job = JSON.readTree(body);
            if (!m.matches() || !MessageDigest.isEqual(m.group(2).getBytes(StandardCharsets.US_ASCII),
                    WebhookModule.sign(SECRET, Long.parseLong(m.group(1)), body).getBytes(StandardCharsets.US_ASCII))) {
                refused.add(new String(body, StandardCharsets.UTF_8));
                status = 401;
            } else if (failing.contains(job.path("app").asText())) {
                status = 503;
            } else {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                jobs.add(job);
            }
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    /** The app's jobs in the order received. */
    List<JsonNode> of(String app) {
        List<JsonNode> out = new ArrayList<>();
        jobs.stream().filter(j -> j.path("app").asText().equals(app)).forEach(out::add);
        return out;
    }

    /** The instances the receiver holds as up for the app after applying its jobs in order. */
    Set<String> view(String app) {
        Set<String> v = new LinkedHashSet<>();
        for (JsonNode j : of(app)) {
            if (j.path("type").asText().equals("UP")) {
                v.add(j.path("instance").asText());
            } else {
                v.remove(j.path("instance").asText());
            }
        }
        return v;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
