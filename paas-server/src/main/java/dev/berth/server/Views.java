// The JSON shapes the API answers: apps, instances, releases, nodes, traffic, with stable field names.
package dev.berth.server;

import dev.berth.api.App;
import dev.berth.api.Cluster;
import dev.berth.api.DeployPlan;
import dev.berth.api.DeployRecord;
import dev.berth.api.Instance;
import dev.berth.api.InstanceInfo;
import dev.berth.api.InstanceRecord;
import dev.berth.api.Instances;
import dev.berth.api.Resources;
import dev.berth.api.Traffic;
import dev.berth.core.Manifests;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Turns the platform's records into JSON trees (ordered maps); field names are part of the API. */
final class Views {
    private Views() {
    }

    /**
     * An answer's fields in the order given (name, value, name, value, ...): field order is part of
     * what a script or a golden file sees, and {@code Map.of} has none.
     */
    static Map<String, Object> fields(Object... namesAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            m.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return m;
    }

    /** A deploy's dry run ({@code POST /v1/apps/{app}/plan}); env values are hidden in it already. */
    static Map<String, Object> plan(DeployPlan p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("app", p.app());
        m.put("currentRelease", p.currentRelease());
        m.put("newRelease", p.newRelease());
        m.put("unchanged", p.unchanged());
        m.put("changes", p.changes().stream().map(c -> {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("field", c.field());
            f.put("before", c.before());
            f.put("after", c.after());
            return f;
        }).toList());
        m.put("placement", new TreeMap<>(p.placement()));
        m.put("toStart", p.toStart());
        m.put("toStop", p.toStop());
        m.put("steps", p.steps().stream().map(s -> {
            Map<String, Object> step = new LinkedHashMap<>();
            step.put("start", s.start());
            step.put("stop", s.stop());
            return step;
        }).toList());
        m.put("unplaced", p.unplaced());
        m.put("unplacedReason", p.unplacedReason());
        return m;
    }

    /** An app in the list: name, release, desired count, stopped, and its instances counted by state. */
    static Map<String, Object> summary(App app) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", app.name());
        m.put("release", app.release());
        m.put("instances", count(app.spec().instances()));
        m.put("stopped", app.stopped());
        m.put("states", byState(app));
        return m;
    }

    /** The app's instances counted by state ({@code HEALTHY: 3}, ...), in state order. */
    static Map<String, Integer> byState(App app) {
        Map<String, Integer> byState = new TreeMap<>();
        for (Instance i : app.instances()) {
            byState.merge(i.record().state().name(), 1, Integer::sum);
        }
        return byState;
    }

    /** The text that stands for an env value to a caller who may not read it. */
    static final String HIDDEN = "(hidden: admin tokens see env values)";

    /**
     * An app in full: the summary, its spec in the manifest schema, and its instances. Env values
     * may be secrets: unless {@code showEnv}, each is replaced by {@link #HIDDEN}.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> app(App app, boolean showEnv) {
        Map<String, Object> m = summary(app);
        Map<String, Object> spec = Manifests.toTree(app.spec());
        if (!showEnv && spec.get("env") instanceof Map<?, ?> env) {
            Map<String, Object> hidden = new LinkedHashMap<>();
            ((Map<String, Object>) env).keySet().forEach(k -> hidden.put(k, HIDDEN));
            spec.put("env", hidden);
        }
        m.put("spec", spec);
        m.put("instanceRecords", app.instances().stream().map(i -> record(i.record())).toList());
        return m;
    }

    static Object count(Instances n) {
        return n.all() ? "*" : (Object) n.count();
    }

    static Map<String, Object> record(InstanceRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("app", r.app());
        m.put("release", r.release());
        m.put("node", r.node());
        m.put("state", r.state().name());
        m.put("endpoint", r.endpoint() == null ? null : r.endpoint().toString());
        m.put("restarts", r.restarts());
        m.put("startedAt", r.startedAt() == null ? null : r.startedAt().toString());
        if (r.lastExit() != null) {
            m.put("lastExit", r.lastExit().toString());
        }
        return m;
    }

    static Map<String, Object> info(InstanceInfo info) {
        Map<String, Object> m = record(info.record());
        m.put("backend", new TreeMap<>(info.backend()));
        return m;
    }

    static Map<String, Object> release(DeployRecord d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("release", d.release());
        m.put("outcome", d.outcome() == null ? null : d.outcome().name());
        m.put("startedAt", d.startedAt() == null ? null : d.startedAt().toString());
        m.put("finishedAt", d.finishedAt() == null ? null : d.finishedAt().toString());
        m.put("reason", d.reason());
        return m;
    }

    static List<Map<String, Object>> nodes(Cluster cluster) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Cluster.Node n : cluster.nodes()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", n.spec().id());
            m.put("up", n.up());
            m.put("instances", n.instances());
            m.put("capacity", resources(n.spec().capacity()));
            m.put("allocated", resources(n.allocated()));
            m.put("free", resources(n.free()));
            m.put("labels", new TreeMap<>(n.spec().labels()));
            out.add(m);
        }
        return out;
    }

    static Map<String, Object> resources(Resources r) {
        return new TreeMap<>(r.amounts());
    }

    static Map<String, Object> traffic(Map<String, Traffic> traffic) {
        Map<String, Object> out = new TreeMap<>();
        traffic.forEach((domain, t) -> out.put(domain, fields("requests", t.requests(), "bytesSent", t.bytesSent())));
        return out;
    }
}
