// The web page's whole pages: the layout, the login form, the apps, an app, the nodes, an instance's logs.
package dev.berth.server;

import dev.berth.api.App;
import dev.berth.api.Instance;
import dev.berth.api.Traffic;
import dev.berth.core.Platform;
import java.util.List;
import java.util.Map;

/**
 * Server-rendered pages. Each works without scripting (forms post and redirect back; what is live
 * is rendered whole at first); with scripting, htmx's SSE extension keeps the live parts current
 * ({@link WebLive}). Landmarks, labels, captions and a skip link keep them usable by keyboard and
 * screen reader.
 */
final class WebPages {
    /** Lines of an instance's log shown at first. */
    static final int LOG_LINES = 200;
    private final Platform platform;
    private final WebFragments fragments;

    WebPages(Platform platform, WebFragments fragments) {
        this.platform = platform;
        this.fragments = fragments;
    }

    /** The login form; {@code error} (or null) says why the last try failed. */
    static Html login(String error) {
        Html body = new Html().raw("<h1>Log in to Berth</h1>");
        if (error != null) {
            body.raw("<p role=\"alert\" class=\"error\">").text(error).raw("</p>");
        }
        body.raw("<form method=\"post\" action=\"/login\" class=\"login\"><label for=\"token\">API token</label>"
                + "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required autofocus>"
                + "<p class=\"hint\">A token of the server's tokens file, or its <code>BERTH_TOKEN</code>.</p>"
                + "<button type=\"submit\">Log in</button></form>");
        return layout("Log in", null, body);
    }

    /** The apps, live. */
    Html apps(WebSession.Caller caller) {
        Html body = new Html().raw("<h1>Apps</h1><div hx-ext=\"sse\" sse-connect=\"/live/apps\"><div sse-swap=\"apps\">")
                .add(fragments.apps(caller)).raw("</div></div>");
        return layout("Apps", caller, body);
    }

    /** The hook modules' presets and lanes, live. */
    Html hooks(dev.berth.hooks.Hooks hooks, WebSession.Caller caller) {
        Html body = new Html().raw("<h1>Hooks</h1><div hx-ext=\"sse\" sse-connect=\"/live/hooks\"><div sse-swap=\"hooks\">")
                .add(WebFragments.hooks(hooks, caller)).raw("</div></div>");
        return layout("Hooks", caller, body);
    }

    /** The nodes with their capacity as bars, live. */
    Html nodes(WebSession.Caller caller) {
        Html body = new Html().raw("<h1>Nodes</h1><div hx-ext=\"sse\" sse-connect=\"/live/nodes\"><div sse-swap=\"nodes\">")
                .add(fragments.nodes()).raw("</div></div>");
        return layout("Nodes", caller, body);
    }

    /**
     * An app: its buttons, instances and releases (live), domains, env (values only for an admin
     * who asks), traffic and disk. {@code notice} (or null) is the outcome of the last action.
     */
    Html app(App app, WebSession.Caller caller, boolean showEnv, String notice) {
        String name = app.name();
        Html body = new Html().raw("<h1>").text(name).raw("</h1>");
        if (notice != null) {
            body.raw("<p role=\"status\" class=\"notice\">").text(notice).raw("</p>");
        }
        body.raw("<p>Release <strong>").text(app.release()).raw("</strong>, ").text(app.stopped() ? "stopped"
                : Views.count(app.spec().instances()) + " instance(s) desired").raw(".</p>");
        if (caller.may(Scope.DEPLOY)) {
            body.raw("<div class=\"controls\"><form method=\"post\" class=\"inline\"").attr("action", "/apps/" + name + "/scale")
                    .raw(">").add(formToken(caller)).raw("<label for=\"scale-count\">Instances</label><input id=\"scale-count\" "
                            + "name=\"instances\" size=\"4\" inputmode=\"numeric\" required").attr("value",
                            Views.count(app.spec().instances())).raw("><button type=\"submit\">Scale</button></form>");
            WebFragments.button(body, caller, "/apps/" + name + "/restart", "Restart", name);
            WebFragments.button(body, caller, "/apps/" + name + "/rollback", "Roll back", name);
            body.raw("</div>");
        }
        body.raw("<div hx-ext=\"sse\" sse-close=\"gone\"").attr("sse-connect", "/live/apps/" + name)
                .raw("><div sse-swap=\"gone\"></div><div sse-swap=\"instances\">")
                .add(fragments.instances(app, caller)).raw("</div><div sse-swap=\"releases\">").add(fragments.releases(app))
                .raw("</div></div>");
        List<String> domains = app.spec().routing().domains();
        Map<String, Traffic> traffic = platform.traffic();
        body.raw("<h2>Domains and traffic</h2>");
        if (domains.isEmpty()) {
            body.raw("<p>No domains: this app is not routed.</p>");
        } else {
            body.raw("<table><caption>Requests through the router</caption><thead><tr><th scope=\"col\">Domain</th>"
                    + "<th scope=\"col\">Requests</th><th scope=\"col\">Bytes sent</th></tr></thead><tbody>");
            for (String d : domains) {
                Traffic t = traffic.getOrDefault(d, new Traffic(0, 0));
                body.raw("<tr><th scope=\"row\">").text(d).raw("</th><td>").text(t.requests()).raw("</td><td>")
                        .text(t.bytesSent()).raw("</td></tr>");
            }
            body.raw("</tbody></table>");
        }
        env(body, app, caller, showEnv);
        body.raw("<h2>Disk</h2><p>").text(bytes(platform.diskUsage(name)))
                .raw(" on disk (its git repository and the checked-out trees of its last releases).</p>");
        return layout(name, caller, body);
    }

    private static void env(Html body, App app, WebSession.Caller caller, boolean showEnv) {
        Map<String, String> env = app.spec().env();
        boolean shown = showEnv && caller.may(Scope.ADMIN);
        body.raw("<h2>Environment</h2>");
        if (env.isEmpty()) {
            body.raw("<p>No environment variables.</p>");
            return;
        }
        body.raw("<table><caption>Environment (").text(shown ? "values shown" : "values hidden").raw(")</caption><thead><tr>"
                + "<th scope=\"col\">Name</th><th scope=\"col\">Value</th></tr></thead><tbody>");
        env.keySet().stream().sorted().forEach(k -> body.raw("<tr><th scope=\"row\">").text(k).raw("</th><td>")
                .text(shown ? env.get(k) : "••••••").raw("</td></tr>"));
        body.raw("</tbody></table>");
        if (caller.may(Scope.ADMIN)) {
            body.raw("<p><a").attr("href", "/apps/" + app.name() + (shown ? "" : "?env=show")).raw(">")
                    .text(shown ? "Hide the values" : "Show the values").raw("</a></p>");
        }
    }

    /** An instance's last lines, then each new one as it is written. */
    Html logs(Instance instance, WebSession.Caller caller) {
        String id = instance.id();
        Html lines = new Html();
        instance.logs(LOG_LINES).forEach(l -> lines.raw("<div class=\"line\">").text(l).raw("</div>"));
        Html body = new Html().raw("<h1>Logs of ").text(id).raw("</h1><p>Instance of <a")
                .attr("href", "/apps/" + instance.record().app()).raw(">").text(instance.record().app())
                .raw("</a>; new lines appear as they are written (with scripting on).</p><div hx-ext=\"sse\"")
                .attr("sse-connect", "/live/instances/" + id + "/logs")
                .raw("><div id=\"log\" class=\"log\" role=\"log\" tabindex=\"0\" aria-label=\"log lines\" "
                        + "sse-swap=\"message\" hx-swap=\"beforeend\"><noscript>").add(lines).raw("</noscript></div></div>");
        return layout("Logs of " + id, caller, body);
    }

    /** A page that says what went wrong, with a way back. */
    static Html error(int status, String message, WebSession.Caller caller) {
        Html body = new Html().raw("<h1>").text(status == 404 ? "Not found" : status == 403 ? "Not allowed" : "That did not work")
                .raw("</h1><p role=\"alert\" class=\"error\">").text(message).raw("</p><p><a href=\"/\">Back to the apps</a></p>");
        return layout("Error " + status, caller, body);
    }

    private static Html formToken(WebSession.Caller caller) {
        return new Html().raw("<input type=\"hidden\"").attr("name", WebSession.FORM_TOKEN).attr("value", caller.formToken())
                .raw(">");
    }

    private static Html layout(String title, WebSession.Caller caller, Html main) {
        Html h = new Html().raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<meta name=\"htmx-config\" content='{\"includeIndicatorStyles\":false}'><title>").text(title)
                .raw(" · Berth</title><link rel=\"stylesheet\" href=\"/static/berth.css\">"
                        + "<script src=\"/static/htmx.min.js\" defer></script><script src=\"/static/sse.js\" defer></script>"
                        + "</head><body><a class=\"skip\" href=\"#main\">Skip to the content</a><header><nav aria-label=\"Berth\">"
                        + "<a class=\"brand\" href=\"/\">Berth</a>");
        if (caller != null) {
            h.raw("<a href=\"/\">Apps</a><a href=\"/nodes\">Nodes</a><a href=\"/hooks\">Hooks</a><form method=\"post\" action=\"/logout\" class=\"inline\">")
                    .add(formToken(caller)).raw("<button type=\"submit\">Log out</button></form>");
        }
        return h.raw("</nav></header><main id=\"main\">").add(main).raw("</main></body></html>");
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
