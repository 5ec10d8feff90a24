// A follower controller's API: every request sent on to the leader's API and its answer streamed back, or 503 while there is no leader.
package dev.berth.server;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards rather than redirects: a client (curl, a script, the web page) needs nothing special to
 * talk to any controller, tokens and cookies go through unchanged (the leader checks them), and an
 * event or log stream keeps flowing through the follower. Each answer carries {@value #LEADER_HEADER}
 * naming the leader. Without a leader (an election under way, no ZooKeeper quorum) the answer is
 * 503 with {@code Retry-After}. {@code GET /v1/leader} is answered here. A WebSocket (the shell)
 * is not forwarded: its answer names the leader to connect to.
 */
final class LeaderForwarder extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(LeaderForwarder.class);
    /** The header that names the leader's API. */
    static final String LEADER_HEADER = "X-Berth-Leader";
    /** Set on a forwarded request: a controller that gets one does not forward it again (no loops). */
    static final String FORWARDED_HEADER = "X-Berth-Forwarded-By";
    /** Request headers passed on (the rest, hop-by-hop ones included, are not). */
    private static final List<String> PASSED = List.of("Authorization", "Content-Type", "Accept", "Cookie", "Origin",
            "Last-Event-ID");
    /** Response headers passed back. */
    private static final Set<String> RETURNED = Set.of("content-type", "cache-control", "www-authenticate", "set-cookie",
            "location", "retry-after", "content-security-policy", "x-content-type-options", "referrer-policy", "x-accel-buffering");

    private final transient Supplier<Optional<String>> leader;
    private final transient HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER).build();
    private final String self;

    private final transient AllowList allowed;

    LeaderForwarder(Supplier<Optional<String>> leader, String self, AllowList allowed) {
        this.leader = leader;
        this.self = self;
        this.allowed = allowed;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!allowed.allows(java.net.InetAddress.getByName(req.getRemoteAddr()))) { // a literal: no lookup
            json(resp, 403, "{\"error\": \"this address is not on the API's allow-list\"}");
            return;
        }
        if (req.getHeader(FORWARDED_HEADER) != null) {
            resp.setHeader("Retry-After", "2");
            json(resp, 503, "{\"error\": \"forwarded to a controller that does not lead either (the lead is changing); "
                    + "try again\"}");
            return;
        }
        Optional<String> to = leader.get().filter(url -> !url.equals(self));
        if (req.getRequestURI().equals("/v1/leader") && req.getMethod().equals("GET")) {
            json(resp, 200, "{\"leader\": " + (to.isEmpty() ? "null" : quote(to.get())) + ", \"self\": false}");
            return;
        }
        if (to.isEmpty()) {
            resp.setHeader("Retry-After", "2");
            json(resp, 503, "{\"error\": \"no controller leads now (an election, or no ZooKeeper quorum); try again\"}");
            return;
        }
        resp.setHeader(LEADER_HEADER, to.get());
        if ("websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
            json(resp, 409, "{\"error\": " + quote("a shell is opened at the leader: " + to.get()) + ", \"leader\": "
                    + quote(to.get()) + "}");
            return;
        }
        forward(req, resp, to.get());
    }

    private void forward(HttpServletRequest req, HttpServletResponse resp, String leaderUrl) throws IOException {
        String query = req.getQueryString();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(leaderUrl + req.getRequestURI() + (query == null ? "" : "?" + query)))
                .method(req.getMethod(), hasBody(req) ? HttpRequest.BodyPublishers.ofInputStream(() -> {
                    try {
                        return req.getInputStream();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }) : HttpRequest.BodyPublishers.noBody());
        for (String h : PASSED) {
            String v = req.getHeader(h);
            if (v != null) {
                // a browser's page of this follower is a page of the leader's API: same-origin checks there must say so
                b.header(h, h.equals("Origin") && v.equalsIgnoreCase(req.getScheme() + "://" + req.getHeader("Host")) ? leaderUrl : v);
            }
        }
        b.header(FORWARDED_HEADER, self);
        if (!"text/event-stream".equals(req.getHeader("Accept")) && !req.getRequestURI().contains("/live/")
                && (req.getQueryString() == null || !req.getQueryString().contains("follow=true"))) { // not getParameter: it reads a form body
            b.timeout(Duration.ofSeconds(60)); // a leader that stopped answering (SIGSTOP) must not hold this thread
        }
        HttpResponse<InputStream> answer;
        try {
            answer = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            json(resp, 503, "{\"error\": \"this controller is stopping; try again\"}");
            return;
        } catch (IOException e) {
            LOG.info("api: the leader {} did not answer a forwarded {} {}: {}", leaderUrl, req.getMethod(), req.getRequestURI(),
                    e.toString());
            resp.setHeader("Retry-After", "2");
            json(resp, 503, "{\"error\": \"the leader " + leaderUrl + " did not answer; try again\"}");
            return;
        }
        resp.setStatus(answer.statusCode());
        answer.headers().map().forEach((name, values) -> {
            if (RETURNED.contains(name.toLowerCase())) {
                values.forEach(v -> resp.addHeader(name, v));
            }
        });
        try (InputStream in = answer.body()) {
            OutputStream out = resp.getOutputStream();
            byte[] buf = new byte[16 * 1024];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                out.write(buf, 0, n);
                out.flush(); // an event stream's events go on as they come
            }
        }
    }

    private static boolean hasBody(HttpServletRequest req) {
        return req.getContentLengthLong() > 0 || "chunked".equalsIgnoreCase(req.getHeader("Transfer-Encoding"));
    }

    private static void json(HttpServletResponse resp, int status, String body) throws IOException {
        byte[] bytes = (body + "\n").getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType("application/json");
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
