// The web page's servlet: login and logout, the pages and their buttons, the live streams and the vendored scripts.
package dev.berth.server;

import dev.berth.api.App;
import dev.berth.api.BerthException;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.NotFoundException;
import dev.berth.api.Instance;
import dev.berth.core.Platform;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the web page at {@code /} with the API's tokens (see {@link WebSession}). A page asked for
 * without a login goes to the login form; a button needs the same scope as its API call and the
 * caller's form token. Every action answers with a redirect back to its page (post, redirect,
 * get), so the page works with scripting off. Pages are sent with a Content-Security-Policy that
 * allows this server's own scripts and styles only.
 */
final class WebServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(WebServlet.class);
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /** What a page or button does; answers an {@link Html} page, a {@link Redirect} or a stream. */
    @FunctionalInterface
    private interface Handler {
        Object handle(Map<String, String> params, HttpServletRequest req, WebSession.Caller caller) throws Exception;
    }

    /**
     * Live streams open at most: each holds one of the server's threads (256, shared with the
     * API), so pages cannot take them all.
     */
    static final int MAX_LIVE = 128;
    private static final java.util.concurrent.atomic.AtomicInteger LIVE = new java.util.concurrent.atomic.AtomicInteger();

    private record Page(Route route, Handler handler) {
    }

    /** An answer that sends the browser to {@code location} (303: it then GETs it). */
    private record Redirect(String location) {
    }

    private final transient Platform platform;
    private final transient WebSession session;
    private final transient AllowList allowed;
    private final transient WebPages pages;
    private final transient StaticFiles files = new StaticFiles();
    private final transient List<Page> routes = new ArrayList<>();

    WebServlet(Platform platform, WebSession session, AllowList allowed, WebLive live, long heartbeatMillis,
               dev.berth.hooks.Hooks hooks) {
        this.platform = platform;
        this.session = session;
        this.allowed = allowed;
        WebFragments fragments = new WebFragments(platform);
        this.pages = new WebPages(platform, fragments);
        get("/", Scope.READ, (p, r, c) -> pages.apps(c));
        get("/nodes", Scope.READ, (p, r, c) -> pages.nodes(c));
        get("/apps/{app}", Scope.READ, (p, r, c) -> pages.app(platform.app(p.get("app")), c,
                "show".equals(r.getParameter("env")), WebForms.notice(r.getParameter("done"))));
        get("/instances/{id}/logs", Scope.READ, (p, r, c) -> pages.logs(platform.instance(p.get("id")), c));
        get("/live/apps", Scope.READ, (p, r, c) -> live.view(() -> Map.of("apps", fragments.apps(c)), e -> e.app() != null));
        get("/hooks", Scope.READ, (p, r, c) -> pages.hooks(hooks, c));
        get("/live/hooks", Scope.READ, (p, r, c) -> live.view(() -> Map.of("hooks", WebFragments.hooks(hooks, c)), e -> true,
                true));
        get("/live/nodes", Scope.READ, (p, r, c) -> live.view(() -> Map.of("nodes", fragments.nodes()), e -> true));
        get("/live/apps/{app}", Scope.READ, (p, r, c) -> {
            String name = platform.app(p.get("app")).name(); // 404 for no such app
            return live.view(() -> {
                App app = platform.app(name);
                return Map.of("instances", fragments.instances(app, c), "releases", fragments.releases(app));
            }, e -> name.equals(e.app()));
        });
        get("/live/instances/{id}/logs", Scope.READ, (p, r, c) -> LogStream.of(platform.instance(p.get("id")),
                WebPages.LOG_LINES, heartbeatMillis, l -> "<div class=\"line\">" + Html.escape(l) + "</div>", true));
        post("/apps/{app}/scale", Scope.DEPLOY, (p, r, c) -> {
            platform.scale(p.get("app"), WebForms.instances(r.getParameter("instances")));
            return back(p, "scaled");
        });
        post("/apps/{app}/restart", Scope.DEPLOY, (p, r, c) -> {
            platform.restart(p.get("app"));
            return back(p, "restarted");
        });
        post("/apps/{app}/rollback", Scope.DEPLOY, (p, r, c) -> {
            platform.rollback(platform.app(p.get("app")).name());
            return back(p, "rolledback");
        });
        post("/instances/{id}/restart", Scope.DEPLOY, (p, r, c) -> instanceAction(p.get("id"), Instance::restart, "instance-restarted"));
        post("/instances/{id}/kill", Scope.ADMIN, (p, r, c) -> instanceAction(p.get("id"), Instance::kill, "killed"));
    }

    private void get(String template, Scope scope, Handler handler) {
        routes.add(new Page(Route.of("GET", template, scope, null), handler));
    }

    private void post(String template, Scope scope, Handler handler) {
        routes.add(new Page(Route.of("POST", template, scope, null), handler));
    }

    private static Redirect back(Map<String, String> params, String done) {
        return new Redirect("/apps/" + params.get("app") + "?done=" + done);
    }

    private Redirect instanceAction(String id, java.util.function.Consumer<Instance> action, String done) {
        Instance instance = platform.instance(id);
        action.accept(instance);
        return new Redirect("/apps/" + instance.record().app() + "?done=" + done);
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getRequestURI();
        String method = req.getMethod();
        if (!allowed.allows(java.net.InetAddress.getByName(req.getRemoteAddr()))) { // a literal: no lookup
            page(resp, 403, WebPages.error(403, "this address is not on the server's allow-list", null));
            return;
        }
        if (method.equals("GET") && path.startsWith("/static/")) {
            files.serve(path.substring("/static/".length()), resp);
            return;
        }
        if (path.equals("/login")) {
            login(req, resp);
            return;
        }
        Optional<WebSession.Caller> caller = session.caller(req);
        if (path.equals("/logout") && method.equals("POST")) {
            if (caller.isPresent() && !session.formIsOurs(req, caller.get())) {
                page(resp, 403, WebPages.error(403, "this form did not come from this page; reload it and try again", null));
                return;
            }
            session.logOut(resp);
            redirect(resp, "/login");
            return;
        }
        answer(req, resp, path, method, caller);
    }

    private void answer(HttpServletRequest req, HttpServletResponse resp, String path, String method,
                        Optional<WebSession.Caller> caller) throws IOException {
        for (Page p : routes) {
            Map<String, String> params = p.route().match(path);
            if (params == null || !p.route().method().equals(method)) {
                continue;
            }
            if (caller.isEmpty()) {
                if (method.equals("GET") && !path.startsWith("/live/")) {
                    redirect(resp, "/login");
                } else {
                    page(resp, 401, WebPages.login("log in first: there is no session, or its token is no longer known"));
                }
                return;
            }
            WebSession.Caller c = caller.get();
            Object answer;
            int status = 200;
            try {
                answer = authorizeAndRun(p, params, req, c);
            } catch (ApiException e) {
                status = e.status();
                answer = WebPages.error(status, e.getMessage(), c);
            } catch (NotFoundException e) {
                status = 404;
                answer = WebPages.error(status, e.getMessage(), c);
            } catch (InvalidSpecException | IllegalArgumentException e) {
                status = 400;
                answer = WebPages.error(status, e.getMessage(), c);
            } catch (BerthException | IllegalStateException e) {
                status = 409;
                answer = WebPages.error(status, e.getMessage(), c);
            } catch (Exception e) {
                LOG.error("web page: {} {} failed", method, path, e);
                status = 500;
                answer = WebPages.error(status, "internal error; the server's log has the details", c);
            }
            send(req, resp, status, answer);
            return;
        }
        page(resp, 404, WebPages.error(404, "there is no page " + path, caller.orElse(null)));
    }

    private Object authorizeAndRun(Page p, Map<String, String> params, HttpServletRequest req, WebSession.Caller c)
            throws Exception {
        Route r = p.route();
        if (!c.may(r.scope())) {
            throw new ApiException(403, "your token's scope (" + c.grant().scope().name().toLowerCase() + ") does not allow this; it needs "
                    + r.scope().name().toLowerCase());
        }
        String app = params.get("app");
        if (app == null && params.containsKey("id")) {
            app = platform.instance(params.get("id")).record().app(); // 404 for an unknown instance
        }
        if (app != null && !c.grant().covers(app)) {
            throw new ApiException(403, "your token is not allowed to act on app '" + app + "'");
        }
        if (r.method().equals("POST") && !session.formIsOurs(req, c)) {
            throw new ApiException(403, "this form did not come from this page; reload the page and try again");
        }
        return p.handler().handle(params, req, c);
    }

    private static void send(HttpServletRequest req, HttpServletResponse resp, int status, Object answer) throws IOException {
        if (answer instanceof Redirect r) {
            redirect(resp, r.location());
        } else if (answer instanceof EventStream.Streamer s) {
            if (LIVE.incrementAndGet() > MAX_LIVE) {
                LIVE.decrementAndGet();
                resp.setHeader("Retry-After", "10");
                page(resp, 503, WebPages.error(503, "too many live pages are open (" + MAX_LIVE + "); close some", null));
                return;
            }
            try {
                s.stream(req, resp);
            } catch (IOException e) {
                LOG.debug("web page: a live stream ended: {}", e.toString()); // the browser left
            } catch (RuntimeException e) {
                LOG.warn("web page: a live stream failed: {}", e.toString());
            } finally {
                LIVE.decrementAndGet();
            }
        } else {
            page(resp, status, (Html) answer);
        }
    }

    private void login(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!req.getMethod().equals("POST")) {
            page(resp, 200, WebPages.login(null));
        } else if (!WebSession.sameOrigin(req)) {
            page(resp, 403, WebPages.login("this login form did not come from this page"));
        } else if (session.logIn(req.getParameter("token"), resp).isEmpty()) {
            LOG.info("web page: a failed login from {}", req.getRemoteAddr()); // never the token
            page(resp, 401, WebPages.login("that token is not known here"));
        } else {
            redirect(resp, "/");
        }
    }

    private static void redirect(HttpServletResponse resp, String location) {
        resp.setStatus(303);
        resp.setHeader("Location", location);
        resp.setHeader("Cache-Control", "no-store");
    }

    private static void page(HttpServletResponse resp, int status, Html html) throws IOException {
        byte[] body = html.toString().getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType("text/html; charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("Content-Security-Policy", CSP);
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("Referrer-Policy", "same-origin");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
