// The parts of the web page that live updates replace: the apps table, an app's instances and releases, the nodes' bars.
package dev.berth.server;

import dev.berth.api.App;
import dev.berth.api.Cluster;
import dev.berth.api.DeployRecord;
import dev.berth.api.Instance;
import dev.berth.api.InstanceRecord;
import dev.berth.core.Platform;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * Each fragment is rendered whole, the same way for the first page and for each live update, so a
 * page read without scripting shows what a live one shows. Buttons appear only for a caller whose
 * token allows them.
 */
final class WebFragments {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);
    private final Platform platform;

    WebFragments(Platform platform) {
        this.platform = platform;
    }

    /** The apps the caller may see: name, release, desired count and instances by state. */
    Html apps(WebSession.Caller caller) {
        List<App> apps = platform.apps().stream().filter(a -> caller.grant().covers(a.name())).toList();
        Html h = new Html();
        if (apps.isEmpty()) {
            return h.raw("<p>No apps yet. Deploy one with <code>berth deploy -f app.yaml</code>.</p>");
        }
        h.raw("<table><caption>Apps</caption><thead><tr><th scope=\"col\">App</th><th scope=\"col\">Release</th>"
                + "<th scope=\"col\">Desired</th><th scope=\"col\">Instances by state</th></tr></thead><tbody>");
        for (App a : apps) {
            h.raw("<tr><th scope=\"row\"><a").attr("href", "/apps/" + a.name()).raw(">").text(a.name()).raw("</a></th><td>")
                    .text(a.release()).raw("</td><td>").text(a.stopped() ? "stopped" : Views.count(a.spec().instances()))
                    .raw("</td><td>");
            Views.byState(a).forEach((state, n) -> h.raw("<span").attr("class", "state " + state.toLowerCase()).raw(">")
                    .text(n + " " + state).raw("</span> "));
            h.raw("</td></tr>");
        }
        return h.raw("</tbody></table>");
    }

    /** An app's instances, each with its state, node, release and buttons. */
    Html instances(App app, WebSession.Caller caller) {
        Html h = new Html();
        List<Instance> instances = app.instances().stream() // web-9 before web-10
                .sorted(java.util.Comparator.comparingInt((Instance i) -> i.id().length()).thenComparing(Instance::id)).toList();
        h.raw("<table id=\"instances\"><caption>Instances (").text(instances.size()).raw(")</caption><thead><tr>"
                + "<th scope=\"col\">Instance</th><th scope=\"col\">State</th><th scope=\"col\">Node</th>"
                + "<th scope=\"col\">Release</th><th scope=\"col\">Restarts</th><th scope=\"col\">Endpoint</th>"
                + "<th scope=\"col\">Started</th><th scope=\"col\">Actions</th></tr></thead><tbody>");
        for (Instance i : instances) {
            InstanceRecord r = i.record();
            h.raw("<tr").attr("data-instance", r.id()).attr("data-state", r.state().name()).raw("><th scope=\"row\">")
                    .text(r.id()).raw("</th><td><span").attr("class", "state " + r.state().name().toLowerCase()).raw(">")
                    .text(r.state().name()).raw("</span></td><td>").text(r.node()).raw("</td><td>").text(r.release())
                    .raw("</td><td>").text(r.restarts()).raw("</td><td>").text(r.endpoint() == null ? "" : r.endpoint())
                    .raw("</td><td>").text(time(r.startedAt())).raw("</td><td class=\"actions\"><a")
                    .attr("href", "/instances/" + r.id() + "/logs").raw(">Logs<span class=\"sr\"> of ").text(r.id())
                    .raw("</span></a>");
            if (caller.may(Scope.DEPLOY)) {
                button(h, caller, "/instances/" + r.id() + "/restart", "Restart", r.id());
            }
            if (caller.may(Scope.ADMIN)) {
                button(h, caller, "/instances/" + r.id() + "/kill", "Kill", r.id());
            }
            h.raw("</td></tr>");
        }
        return h.raw("</tbody></table>");
    }

    /** An app's releases, newest first, with how each rollout ended. */
    Html releases(App app) {
        List<DeployRecord> history = platform.history(app.name());
        Html h = new Html().raw("<table id=\"releases\"><caption>Releases</caption><thead><tr><th scope=\"col\">Release</th>"
                + "<th scope=\"col\">Outcome</th><th scope=\"col\">Started</th><th scope=\"col\">Finished</th>"
                + "<th scope=\"col\">Reason</th></tr></thead><tbody>");
        boolean currentSeen = false; // a rollback runs an earlier release again: only its newest run is current
        for (int k = history.size() - 1; k >= 0; k--) {
            DeployRecord d = history.get(k);
            String outcome = d.outcome() == null ? "" : d.outcome().name();
            boolean current = !currentSeen && d.release().equals(app.release());
            currentSeen |= current;
            h.raw("<tr").attr("data-release", d.release()).attr("data-outcome", outcome).raw("><th scope=\"row\">")
                    .text(d.release()).raw(current ? " <strong>(current)</strong>" : "")
                    .raw("</th><td>").text(outcome).raw("</td><td>").text(time(d.startedAt())).raw("</td><td>")
                    .text(time(d.finishedAt())).raw("</td><td>").text(d.reason() == null ? "" : d.reason()).raw("</td></tr>");
        }
        return h.raw("</tbody></table>");
    }

    /** Every node with its allocated share of each resource as a bar (a {@code meter} with its figures as text). */
    Html nodes() {
        Html h = new Html().raw("<ul class=\"nodes\">");
        for (Cluster.Node n : platform.cluster().nodes()) {
            h.raw("<li><h2>").text(n.spec().id()).raw(" <span").attr("class", n.up() ? "state healthy" : "state exited")
                    .raw(">").text(n.up() ? "up" : "down").raw("</span></h2><p>").text(n.instances()).raw(" instance(s)</p>");
            for (Map.Entry<String, Double> capacity : n.spec().capacity().amounts().entrySet()) {
                String dim = capacity.getKey();
                double total = capacity.getValue();
                double used = n.allocated().get(dim);
                String id = "node-" + n.spec().id() + "-" + dim;
                h.raw("<div class=\"bar\"><label").attr("for", id).raw(">").text(dim).raw(": ").text(amount(used))
                        .raw(" of ").text(amount(total)).raw(" allocated, ").text(amount(Math.max(0, total - used)))
                        .raw(" free</label><meter").attr("id", id).attr("min", 0).attr("max", amount(total))
                        .attr("value", amount(used)).attr("high", amount(total * 0.85)).raw(">").text(amount(used))
                        .raw("</meter></div>");
            }
            h.raw("</li>");
        }
        return h.raw("</ul>");
    }

    /** The hook modules' presets the caller may see, and their lanes: pending jobs, acknowledged instances, the last error. */
    static Html hooks(dev.berth.hooks.Hooks hooks, WebSession.Caller caller) {
        Html h = new Html();
        if (hooks == null) {
            return h.raw("<p>This server runs no hook modules.</p>");
        }
        h.raw("<p>Modules: ").text(String.join(", ", hooks.modules()))
                .raw(". Set a preset with <code>berth presets:set MODULE APP --enabled --option NAME=VALUE</code>.</p>");
        h.raw("<table id=\"presets\"><caption>Presets</caption><thead><tr><th scope=\"col\">Module</th><th scope=\"col\">App</th>"
                + "<th scope=\"col\">Enabled</th><th scope=\"col\">Options</th></tr></thead><tbody>");
        boolean admin = caller.may(Scope.ADMIN);
        hooks.presets().stream().filter(p -> caller.grant().covers(p.app())).forEach(p -> h.raw("<tr><th scope=\"row\">")
                .text(p.module()).raw("</th><td>").text(p.app()).raw("</td><td>").text(p.enabled() ? "yes" : "no").raw("</td><td>")
                .text(HookResources.options(p, admin)).raw("</td></tr>"));
        h.raw("</tbody></table><table id=\"lanes\"><caption>Job lanes</caption><thead><tr><th scope=\"col\">Module</th>"
                + "<th scope=\"col\">App</th><th scope=\"col\">Pending</th><th scope=\"col\">Acknowledged up</th>"
                + "<th scope=\"col\">Failed attempts</th><th scope=\"col\">Last error</th></tr></thead><tbody>");
        hooks.lanes().stream().filter(l -> caller.grant().covers(l.app())).forEach(l -> h.raw("<tr").attr("data-lane",
                l.module() + "/" + l.app()).raw("><th scope=\"row\">").text(l.module()).raw("</th><td>").text(l.app())
                .raw("</td><td>").text(l.pending().size()).raw("</td><td>").text(l.acknowledged()).raw("</td><td>")
                .text(l.attempts()).raw("</td><td>").text(l.lastError() == null ? "" : admin ? l.lastError() : HookResources.HIDDEN)
                .raw("</td></tr>"));
        return h.raw("</tbody></table>");
    }

    /** A form with one button that posts to {@code action} with the caller's form token. */
    static void button(Html h, WebSession.Caller caller, String action, String label, String what) {
        // a stable id: htmx gives the focus back to it when a live update replaces the table
        h.raw("<form method=\"post\" class=\"inline\"").attr("action", action).raw("><input type=\"hidden\"")
                .attr("name", WebSession.FORM_TOKEN).attr("value", caller.formToken()).raw("><button type=\"submit\"")
                .attr("id", label.toLowerCase(java.util.Locale.ROOT).replace(' ', '-') + "-" + what).raw(">")
                .text(label).raw("<span class=\"sr\"> ").text(what).raw("</span></button></form>");
    }

    static String time(Instant t) {
        return t == null ? "" : TIME.format(t);
    }

    private static String amount(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(java.util.Locale.ROOT, "%.2f", v);
    }
}
