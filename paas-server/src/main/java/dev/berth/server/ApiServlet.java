// Every /v1 request: the token checked, the route found, the scope and apps checked, the answer or error as JSON.
package dev.berth.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.BerthException;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.NotFoundException;
import dev.berth.core.Platform;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control API's one servlet. A client outside the {@link AllowList} gets 403 before anything
 * else. {@code GET /v1/health} needs no token; everything else needs
 * {@code Authorization: Bearer TOKEN} (401 without a known one), a scope that allows the route and,
 * for a token limited to apps, the route's app (403 otherwise). Bodies over the limit get 413.
 * Errors are JSON ({@code error}, {@code field}, {@code value}, {@code allowed}); a failure the
 * API did not foresee is logged and answered 500 without its details. Tokens are never logged.
 */
final class ApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ApiServlet.class);

    private final transient Platform platform;
    private final transient Tokens tokens;
    private final transient ObjectMapper json;
    private final transient List<Route> routes = new ArrayList<>();
    /** How many times the body limit is read and dropped before a 413 (see {@link #tooLarge}). */
    private static final int DRAINED_BODIES = 8;
    /** A request attribute: the rest of the body was not read, so the connection must close. */
    private static final String UNREAD_BODY = "berth.unreadBody";
    private final int maxBodyBytes;
    private final transient AllowList allowed;
    private final transient Metrics metrics;

    ApiServlet(Platform platform, Tokens tokens, ObjectMapper json, int maxBodyBytes, EventStream events, AllowList allowed,
               Metrics metrics, HookResources hooks, java.util.function.Supplier<Optional<String>> leader) {
        this.allowed = allowed;
        this.metrics = metrics;
        this.platform = platform;
        this.tokens = tokens;
        this.json = json;
        this.maxBodyBytes = maxBodyBytes;
        routes.add(Route.of("GET", "/v1/health", null, c -> Views.fields("status", "ok")));
        // which controller leads (this one, when it serves the platform); followers answer it too
        routes.add(Route.of("GET", "/v1/leader", null, c -> Views.fields("leader", leader.get().orElse(null), "self", true)));
        routes.addAll(new AppResources(platform, json).routes());
        routes.addAll(new InstanceResources(platform, events.heartbeatMillis()).routes());
        routes.add(events.route());
        routes.addAll(hooks.routes());
        routes.add(Route.of("GET", "/metrics", Scope.READ, c -> (EventStream.Streamer) (request, resp) -> {
            byte[] text = metrics.scrape();
            resp.setStatus(200);
            resp.setContentType("text/plain; version=0.0.4; charset=utf-8");
            resp.setContentLength(text.length);
            resp.getOutputStream().write(text);
        }));
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getRequestURI();
        String method = req.getMethod();
        int status = 200;
        Object answer;
        try {
            if (!allowed.allows(java.net.InetAddress.getByName(req.getRemoteAddr()))) { // a literal: no lookup
                throw new ApiException(403, "this address (" + req.getRemoteAddr() + ") is not on the API's allow-list");
            }
            answer = dispatch(method, path, req);
        } catch (ApiException e) {
            status = e.status();
            answer = error(e.getMessage(), e.field(), e.value(), e.allowed());
            if (status == 401) {
                resp.setHeader("WWW-Authenticate", "Bearer realm=\"berth\"");
            }
        } catch (InvalidSpecException e) {
            status = 400;
            answer = error(e.getMessage(), e.field(), e.value(), e.allowed());
        } catch (NotFoundException e) {
            status = 404;
            answer = error(e.getMessage(), null, null, null);
        } catch (IllegalArgumentException e) {
            status = 400;
            answer = error(e.getMessage(), null, null, null);
        } catch (BerthException | IllegalStateException e) {
            status = 409; // the platform refused it in its present state
            answer = error(e.getMessage(), null, null, null);
        } catch (RuntimeException e) {
            LOG.error("control API: {} {} failed", method, path, e);
            status = 500;
            answer = error("internal error; the server's log has the details", null, null, null);
        }
        metrics.answered(method, answer instanceof EventStream.Streamer ? 200 : status);
        if (answer instanceof EventStream.Streamer streamer) {
            try {
                streamer.stream(req, resp);
            } catch (IOException e) {
                LOG.debug("control API: a stream of {} ended: {}", path, e.toString()); // the client left
            }
            return;
        }
        resp.setStatus(status);
        if (req.getAttribute(UNREAD_BODY) != null) {
            resp.setHeader("Connection", "close"); // the rest of the body is not read
        }
        resp.setContentType("application/json");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Cache-Control", "no-store");
        byte[] body = json.writeValueAsBytes(answer);
        resp.setContentLength(body.length + 1);
        resp.getOutputStream().write(body);
        resp.getOutputStream().write('\n');
    }

    private Object dispatch(String method, String path, HttpServletRequest req) throws IOException {
        boolean pathKnown = false;
        for (Route r : routes) {
            Map<String, String> params = r.match(path);
            if (params == null) {
                continue;
            }
            pathKnown = true;
            if (!r.method().equals(method)) {
                continue;
            }
            Tokens.Grant grant = null;
            if (r.scope() != null) {
                grant = authorize(req, r, params);
            }
            Call call = new Call(params, query(req), body(req), grant, req::getHeader);
            try {
                return r.handler().handle(call);
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        if (pathKnown) {
            throw new ApiException(405, method + " is not allowed on " + path, "method", method,
                    String.join(", ", routes.stream().filter(r -> r.match(path) != null).map(Route::method).toList()));
        }
        throw new ApiException(404, "no such resource: " + path);
    }

    private Tokens.Grant authorize(HttpServletRequest req, Route r, Map<String, String> params) {
        String header = req.getHeader("Authorization");
        String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).strip() : null;
        Optional<Tokens.Grant> grant = tokens.find(presented);
        if (grant.isEmpty()) {
            throw new ApiException(401, presented == null ? "a token is needed: Authorization: Bearer TOKEN"
                    : "the token is not known here");
        }
        Tokens.Grant g = grant.get();
        if (!g.scope().allows(r.scope())) {
            throw new ApiException(403, "this token's scope (" + g.scope().name().toLowerCase() + ") does not allow "
                    + r.method() + " " + r.template() + "; it needs " + r.scope().name().toLowerCase());
        }
        String app = params.get("app");
        if (app == null && params.containsKey("id") && !g.apps().isEmpty()) {
            app = platform.instance(params.get("id")).record().app(); // 404 for an unknown instance
        }
        if (app != null && !g.covers(app)) {
            throw new ApiException(403, "this token is not allowed to act on app '" + app + "'");
        }
        return g;
    }

    private static Map<String, String> query(HttpServletRequest req) {
        Map<String, String> q = new LinkedHashMap<>();
        req.getParameterMap().forEach((k, v) -> q.put(k, v.length == 0 ? "" : v[0]));
        return q;
    }

    private JsonNode body(HttpServletRequest req) throws IOException {
        byte[] bytes;
        if (req.getContentLengthLong() > maxBodyBytes && "100-continue".equalsIgnoreCase(req.getHeader("Expect"))) {
            req.setAttribute(UNREAD_BODY, Boolean.TRUE); // the client waits to be asked for the body: it is not asked
            throw new ApiException(413, "the request body is over " + maxBodyBytes + " bytes");
        }
        try (InputStream in = req.getInputStream()) {
            if (req.getContentLengthLong() > maxBodyBytes) {
                throw tooLarge(req, in);
            }
            bytes = in.readNBytes(maxBodyBytes + 1);
            if (bytes.length > maxBodyBytes) {
                throw tooLarge(req, in);
            }
        }
        if (bytes.length == 0) {
            return json.missingNode();
        }
        try {
            return json.readTree(bytes);
        } catch (JsonProcessingException e) {
            // the body is not quoted: it may hold env values
            throw new ApiException(400, "the request body is not JSON: " + e.getOriginalMessage(), "body",
                    bytes.length + " bytes", "JSON");
        }
    }

    /**
     * The 413 for a body over the limit. Up to {@value #DRAINED_BODIES} times the limit is read and
     * dropped first: closing a connection with unread bytes resets it, and a client still sending
     * would then lose the answer. A larger body is not read: its connection is closed.
     */
    private ApiException tooLarge(HttpServletRequest req, InputStream in) throws IOException {
        long left = (long) DRAINED_BODIES * maxBodyBytes;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    return new ApiException(413, "the request body is over " + maxBodyBytes + " bytes");
                }
                skipped = 1;
            }
            left -= skipped;
        }
        req.setAttribute(UNREAD_BODY, Boolean.TRUE);
        return new ApiException(413, "the request body is over " + maxBodyBytes + " bytes");
    }

    private static Map<String, Object> error(String error, String field, String value, String allowed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", error);
        if (field != null) {
            m.put("field", field);
            m.put("value", value);
            m.put("allowed", allowed);
        }
        return m;
    }
}
