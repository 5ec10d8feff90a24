package dev.berth.core.internal.manifest;

import dev.berth.api.AppSpec;
import dev.berth.api.Balance;
import dev.berth.api.Constraints;
import dev.berth.api.HealthCheck;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.Resources;
import dev.berth.api.RestartPolicy;
import dev.berth.api.RouteSettings;
import dev.berth.api.Routing;
import dev.berth.api.Source;
import dev.berth.api.UpdateStrategy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Converts an {@link AppSpec} to and from a plain tree ({@link LinkedHashMap}, {@link List},
 * {@link String}, {@link Number}, {@link Boolean}) in the manifest schema that
 * {@code docs/manifests.md} documents: the value under {@code apps.<name>} of a YAML manifest.
 *
 * <pre>{@code
 * source: {directory: /srv/web}     # or {git: {repository: web, commit: 8b72433}} or {image: team/web:1.2}
 * setup: [npm, install]
 * command: [node, server.js]
 * env: {PORT: RANDOM_PORT}
 * instances: 3                      # or "*"
 * resources: {cpu: 0.5, memoryMb: 256, load: 1}
 * routing: {domains: [web.example.com], method: least_conn}
 * healthCheck: {type: http, path: /health, interval: 5s, timeout: 2s, gracePeriod: 15s, maxConsecutiveFailures: 3}
 * restart: {initialDelay: 1s, maxDelay: 1m, multiplier: 2, resetAfter: 1m}
 * constraints: {uniqueHost: true, maxPerNode: 2, nodeLabels: {zone: a}}
 * update: {minimumHealthCapacity: 0.5, maximumOverCapacity: 0.25, deadline: 5m}
 * workingDir: web/bin               # inside the release; for an image an absolute path
 * user: "1000:1000"                 # or a name; default: the platform's user, or the image's
 * clusters: {staging: {instances: 1}}   # per-cluster variants; fromTree checks them and applies none
 * }</pre>
 *
 * <p>{@code toTree} leaves out fields equal to their defaults and writes durations in their
 * shortest exact form ({@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}); {@code fromTree}
 * accepts those and ISO-8601 ({@code PT5S}). {@code fromTree(spec.name(), toTree(spec))} equals
 * {@code spec}. Stateless and thread-safe.
 */
public final class SpecCodec {
    private SpecCodec() {
    }

    /** The spec as a plain tree; the app's name is not part of it. */
    public static Map<String, Object> toTree(AppSpec spec) {
        Map<String, Object> t = new LinkedHashMap<>();
        Source source = spec.source();
        if (source instanceof Source.Directory d) {
            t.put("source", map("directory", d.path().toString()));
        } else if (source instanceof Source.Git g) {
            Map<String, Object> git = new LinkedHashMap<>();
            git.put("repository", g.repository());
            if (g.commit() != null) {
                git.put("commit", g.commit());
            }
            if (g.follow() && g.commit() != null) {
                git.put("follow", true); // without a commit, following is implied
            }
            t.put("source", map("git", git));
        } else if (source instanceof Source.Image i) {
            t.put("source", map("image", i.image()));
        }
        if (!spec.setup().isEmpty()) {
            t.put("setup", new ArrayList<>(spec.setup()));
        }
        if (!spec.command().isEmpty()) {
            t.put("command", new ArrayList<>(spec.command()));
        }
        if (!spec.env().isEmpty()) {
            t.put("env", new LinkedHashMap<>(spec.env()));
        }
        t.put("instances", spec.instances().all() ? "*" : spec.instances().count());
        if (!spec.resources().isEmpty()) {
            Map<String, Object> r = new LinkedHashMap<>();
            spec.resources().amounts().forEach((k, v) -> r.put(k, PlainTrees.number(v)));
            t.put("resources", r);
        }
        Routing routing = spec.routing();
        if (!routing.equals(Routing.none())) {
            Map<String, Object> r = new LinkedHashMap<>();
            if (!routing.domains().isEmpty()) {
                r.put("domains", new ArrayList<>(routing.domains()));
            }
            if (routing.balance() != Balance.LEAST_CONN) {
                r.put("method", routing.balance().wireName());
            }
            if (routing.tls() != null) {
                Map<String, Object> tls = new LinkedHashMap<>();
                tls.put("certificate", routing.tls().certificate().toString());
                tls.put("key", routing.tls().key().toString());
                r.put("tls", tls);
            }
            RouteSettings rs = routing.settings();
            RouteSettings d = RouteSettings.defaults();
            putIfChanged(r, "maxBodyMb", rs.maxBodyMb(), d.maxBodyMb());
            putIfChanged(r, "connectTimeout", Durations.format(rs.connectTimeout()), Durations.format(d.connectTimeout()));
            putIfChanged(r, "readTimeout", Durations.format(rs.readTimeout()), Durations.format(d.readTimeout()));
            t.put("routing", r);
        }
        HealthCheck hc = spec.healthCheck();
        if (!hc.equals(HealthCheck.none())) {
            HealthCheck base = switch (hc.type()) {
                case NONE -> HealthCheck.none();
                case HTTP -> HealthCheck.http("/");
                case TCP -> HealthCheck.tcp();
            };
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("type", hc.type().name().toLowerCase(Locale.ROOT));
            putIfChanged(h, "path", hc.path(), base.path());
            putIfChanged(h, "interval", Durations.format(hc.interval()), Durations.format(base.interval()));
            putIfChanged(h, "timeout", Durations.format(hc.timeout()), Durations.format(base.timeout()));
            putIfChanged(h, "gracePeriod", Durations.format(hc.gracePeriod()), Durations.format(base.gracePeriod()));
            putIfChanged(h, "maxConsecutiveFailures", hc.maxConsecutiveFailures(), base.maxConsecutiveFailures());
            t.put("healthCheck", h);
        }
        RestartPolicy rp = spec.restartPolicy();
        RestartPolicy rd = RestartPolicy.defaults();
        if (!rp.equals(rd)) {
            Map<String, Object> r = new LinkedHashMap<>();
            putIfChanged(r, "initialDelay", Durations.format(rp.initialDelay()), Durations.format(rd.initialDelay()));
            putIfChanged(r, "maxDelay", Durations.format(rp.maxDelay()), Durations.format(rd.maxDelay()));
            if (Double.compare(rp.multiplier(), rd.multiplier()) != 0) {
                r.put("multiplier", PlainTrees.number(rp.multiplier()));
            }
            putIfChanged(r, "resetAfter", Durations.format(rp.resetAfter()), Durations.format(rd.resetAfter()));
            t.put("restart", r);
        }
        Constraints c = spec.constraints();
        if (!c.equals(Constraints.none())) {
            Map<String, Object> m = new LinkedHashMap<>();
            putIfChanged(m, "uniqueHost", c.uniqueHost(), false);
            putIfChanged(m, "maxPerNode", c.maxPerNode(), 0);
            if (!c.nodeLabels().isEmpty()) {
                m.put("nodeLabels", new LinkedHashMap<>(new java.util.TreeMap<>(c.nodeLabels())));
            }
            t.put("constraints", m);
        }
        UpdateStrategy u = spec.update();
        UpdateStrategy ud = UpdateStrategy.defaults();
        if (!u.equals(ud)) {
            Map<String, Object> m = new LinkedHashMap<>();
            if (Double.compare(u.minimumHealthCapacity(), ud.minimumHealthCapacity()) != 0) {
                m.put("minimumHealthCapacity", PlainTrees.number(u.minimumHealthCapacity()));
            }
            if (Double.compare(u.maximumOverCapacity(), ud.maximumOverCapacity()) != 0) {
                m.put("maximumOverCapacity", PlainTrees.number(u.maximumOverCapacity()));
            }
            putIfChanged(m, "deadline", Durations.format(u.deadline()), Durations.format(ud.deadline()));
            t.put("update", m);
        }
        if (!spec.workingDir().isEmpty()) {
            t.put("workingDir", spec.workingDir());
        }
        if (!spec.user().isEmpty()) {
            t.put("user", spec.user());
        }
        return t;
    }

    /**
     * The app {@code name} described by {@code tree} (a map in the schema above; null means all
     * defaults). Per-cluster variants under {@code clusters} are checked but not applied.
     *
     * @throws InvalidSpecException naming the app, the field path (e.g. {@code healthCheck.interval}),
     *                              the bad value and what is allowed
     */
    public static AppSpec fromTree(String name, Object tree) {
        try {
            return AppDecoder.decodeFor(name, PlainTrees.read(tree, ""), 0, null);
        } catch (Located e) {
            throw e.toException(null);
        } catch (InvalidSpecException e) {
            throw e.in("app '" + name + "'");
        }
    }

    private static <V> void putIfChanged(Map<String, Object> m, String key, V value, V dflt) {
        if (!value.equals(dflt)) {
            m.put(key, value);
        }
    }

    private static Map<String, Object> map(String key, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(key, value);
        return m;
    }
}
