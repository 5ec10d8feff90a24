// The /v1/apps endpoints: list, deploy, plan, inspect, remove, scale, stop/start/restart, rollback, releases, env, domains, disk.
package dev.berth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.App;
import dev.berth.api.AppSpec;
import dev.berth.api.Instances;
import dev.berth.core.Manifests;
import dev.berth.core.Platform;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The app endpoints over one {@link Platform}; each answers a JSON tree (see {@link Views}). */
final class AppResources {
    private final Platform platform;
    private final ObjectMapper json;

    AppResources(Platform platform, ObjectMapper json) {
        this.platform = platform;
        this.json = json;
    }

    List<Route> routes() {
        return List.of(
                Route.of("GET", "/v1/apps", Scope.READ, c -> platform.apps().stream()
                        .filter(a -> c.grant().covers(a.name())).map(Views::summary).toList()),
                Route.of("GET", "/v1/apps/{app}", Scope.READ, c -> Views.app(platform.app(c.param("app")),
                        c.grant().scope().allows(Scope.ADMIN))),
                Route.of("PUT", "/v1/apps/{app}", Scope.DEPLOY, this::deploy),
                Route.of("POST", "/v1/apps/{app}/plan", Scope.READ, c -> Views.plan(platform.plan(spec(c)))),
                Route.of("DELETE", "/v1/apps/{app}", Scope.ADMIN, c -> {
                    platform.remove(c.param("app"));
                    return Views.fields("app", c.param("app"), "removed", true);
                }),
                Route.of("POST", "/v1/apps/{app}/scale", Scope.DEPLOY, this::scale),
                Route.of("POST", "/v1/apps/{app}/stop", Scope.DEPLOY, c -> done(c, () -> platform.stop(c.param("app")))),
                Route.of("POST", "/v1/apps/{app}/start", Scope.DEPLOY, c -> done(c, () -> platform.app(c.param("app")).start())),
                Route.of("POST", "/v1/apps/{app}/restart", Scope.DEPLOY, c -> done(c, () -> platform.restart(c.param("app")))),
                Route.of("POST", "/v1/apps/{app}/rollback", Scope.DEPLOY, this::rollback),
                Route.of("GET", "/v1/apps/{app}/releases", Scope.READ, c -> platform.history(c.param("app")).stream()
                        .map(Views::release).toList()),
                Route.of("GET", "/v1/apps/{app}/instances", Scope.READ, c -> platform.instances(c.param("app")).stream()
                        .map(i -> Views.record(i.record())).toList()),
                Route.of("PATCH", "/v1/apps/{app}/env", Scope.DEPLOY, this::env),
                Route.of("POST", "/v1/apps/{app}/domains", Scope.DEPLOY, c -> {
                    platform.addHostname(c.param("app"), text(c.object(), "domain"));
                    return domains(c.param("app"));
                }),
                Route.of("DELETE", "/v1/apps/{app}/domains/{domain}", Scope.DEPLOY, c -> {
                    platform.removeHostname(c.param("app"), c.param("domain"));
                    return domains(c.param("app"));
                }),
                Route.of("GET", "/v1/apps/{app}/disk", Scope.READ, c -> Views.fields("app", c.param("app"),
                        "bytes", platform.diskUsage(c.param("app")))));
    }

    /** PUT: the body is one app of the YAML manifest schema; answers the release (which is also the deploy's id). */
    private Object deploy(Call c) throws Exception {
        String name = c.param("app");
        App app = platform.deploy(spec(c));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("app", name);
        m.put("release", app.release());
        m.put("deployId", app.release());
        return m;
    }

    /** The body as the spec of the path's app: one app of the YAML manifest schema. */
    private AppSpec spec(Call c) throws Exception {
        return Manifests.fromTree(c.param("app"), json.treeToValue(c.object(), Object.class));
    }

    /** Back to the newest earlier release that succeeded; 409 when there is none. */
    private Object rollback(Call c) {
        String app = platform.app(c.param("app")).name(); // 404 for no such app
        try {
            return Views.fields("app", app, "release", platform.rollback(app));
        } catch (dev.berth.api.NotFoundException e) {
            throw new ApiException(409, e.getMessage());
        }
    }

    /** {"instances": 5} or {"instances": "*"}. */
    private Object scale(Call c) {
        JsonNode n = c.object().get("instances");
        Instances count;
        if (n != null && n.isTextual() && n.asText().equals("*")) {
            count = Instances.ALL;
        } else if (n != null && n.canConvertToInt() && n.isIntegralNumber()) {
            count = Instances.of(n.asInt());
        } else {
            throw new ApiException(400, "instances must be a count or \"*\"", "instances",
                    n == null ? "" : n.toString(), "0-" + Instances.MAX + " or \"*\" (one on every node)");
        }
        platform.scale(c.param("app"), count);
        return Views.fields("app", c.param("app"), "instances", Views.count(count));
    }

    /** {"set": {"K": "v"}, "unset": ["K"]}: a new release through the rolling update (Dokku's config:set/unset). */
    private Object env(Call c) {
        JsonNode body = c.object();
        App app = platform.app(c.param("app"));
        Map<String, String> env = new LinkedHashMap<>(app.spec().env());
        JsonNode set = body.path("set");
        if (!set.isMissingNode()) {
            if (!set.isObject()) {
                throw new ApiException(400, "set must be an object of names to values", "set", set.getNodeType().toString(),
                        "{\"NAME\": \"value\", ...}");
            }
            set.fields().forEachRemaining(e -> {
                if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                    throw new ApiException(400, "set." + e.getKey() + " must be a string", "set." + e.getKey(),
                            e.getValue().getNodeType().toString(), "a string");
                }
                env.put(e.getKey(), e.getValue().asText());
            });
        }
        JsonNode unset = body.path("unset");
        if (!unset.isMissingNode()) {
            if (!unset.isArray()) {
                throw new ApiException(400, "unset must be a list of names", "unset", unset.getNodeType().toString(),
                        "[\"NAME\", ...]");
            }
            unset.forEach(k -> env.remove(k.asText()));
        }
        App next = platform.deploy(app.spec().toBuilder().env(env).build());
        return Views.fields("app", next.name(), "release", next.release());
    }

    private Map<String, Object> domains(String app) {
        return Views.fields("app", app, "domains", platform.app(app).spec().routing().domains());
    }

    private static Map<String, Object> done(Call c, Runnable action) {
        action.run();
        return Views.fields("app", c.param("app"), "ok", true);
    }

    static String text(JsonNode object, String field) {
        JsonNode v = object.get(field);
        if (v == null || !v.isTextual()) {
            throw new ApiException(400, field + " must be a string", field, v == null ? "" : v.toString(), "a string");
        }
        return v.asText();
    }
}
