// The /v1/modules and /v1/jobs endpoints: the hook modules, their presets per app, and the lanes of the job queue.
package dev.berth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.NotFoundException;
import dev.berth.hooks.Hooks;
import dev.berth.hooks.LaneStatus;
import dev.berth.hooks.Preset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Presets configure what runs outside the platform (a command module's argv runs on the
 * controller), so changing one needs an admin token; option values, and a module's errors (a
 * command's output), are shown to admin tokens only.
 */
final class HookResources {
    /** What stands for an option value, or a module's error, to a caller who is not an admin. */
    static final String HIDDEN = "(hidden: admin tokens see it)";
    private final Hooks hooks; // null: no hook modules on this server
    private final ObjectMapper json;

    HookResources(Hooks hooks, ObjectMapper json) {
        this.hooks = hooks;
        this.json = json;
    }

    List<Route> routes() {
        return List.of(
                Route.of("GET", "/v1/modules", Scope.READ, c -> hooks == null ? List.of() : hooks.modules().stream()
                        .map(m -> Views.fields("name", m, "presets", hooks.presets().stream()
                                .filter(p -> p.module().equals(m) && c.grant().covers(p.app()))
                                .map(p -> preset(p, c)).toList())).toList()),
                Route.of("GET", "/v1/modules/{module}/presets/{app}", Scope.READ, c -> preset(hooks()
                        .preset(c.param("module"), c.param("app")).orElseThrow(() -> new NotFoundException("no preset of module '"
                                + c.param("module") + "' for app '" + c.param("app") + "'")), c)),
                Route.of("PUT", "/v1/modules/{module}/presets/{app}", Scope.ADMIN, this::put),
                Route.of("DELETE", "/v1/modules/{module}/presets/{app}", Scope.ADMIN, c -> {
                    hooks().removePreset(c.param("module"), c.param("app"));
                    return Views.fields("module", c.param("module"), "app", c.param("app"), "removed", true);
                }),
                Route.of("GET", "/v1/jobs", Scope.READ, c -> hooks == null ? List.of() : hooks.lanes().stream()
                        .filter(l -> c.grant().covers(l.app()) && (c.query().get("app") == null || c.query().get("app").equals(l.app())))
                        .map(l -> lane(l, c.grant().scope().allows(Scope.ADMIN))).toList()));
    }

    /** {"enabled": true|false, "options": {...}}; answers the preset as saved. */
    private Object put(Call c) throws Exception {
        JsonNode body = c.object();
        JsonNode enabled = body.get("enabled");
        if (enabled == null || !enabled.isBoolean()) {
            throw new ApiException(400, "enabled must be true or false", "enabled", enabled == null ? "" : enabled.toString(),
                    "true or false");
        }
        JsonNode options = body.path("options");
        if (!options.isMissingNode() && !options.isObject()) {
            throw new ApiException(400, "options must be an object", "options", options.getNodeType().toString(),
                    "{\"name\": value, ...}");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> opts = options.isMissingNode() ? Map.of() : json.treeToValue(options, Map.class);
        return preset(hooks().setPreset(c.param("module"), c.param("app"), enabled.asBoolean(), opts), c);
    }

    private Hooks hooks() {
        if (hooks == null) {
            throw new NotFoundException("this server has no hook modules");
        }
        return hooks;
    }

    private static Map<String, Object> preset(Preset p, Call c) {
        return Views.fields("module", p.module(), "app", p.app(), "enabled", p.enabled(), "options",
                options(p, c.grant().scope().allows(Scope.ADMIN)));
    }

    /**
     * A preset's options as a caller may see them: every value to admin tokens; to others the names
     * only (a webhook's URL may carry a token, a command's arguments a password).
     */
    static Map<String, Object> options(Preset p, boolean admin) {
        Map<String, Object> options = new TreeMap<>();
        p.options().forEach((k, v) -> options.put(k, admin ? v : HIDDEN));
        return options;
    }

    private static Map<String, Object> lane(LaneStatus l, boolean admin) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("module", l.module());
        m.put("app", l.app());
        m.put("enabled", l.enabled());
        m.put("pending", l.pending().size());
        m.put("inProgress", l.inProgress());
        m.put("attempts", l.attempts());
        m.put("lastError", l.lastError() == null || admin ? l.lastError() : HIDDEN);
        m.put("nextAttempt", l.nextAttempt() == null ? null : l.nextAttempt().toString());
        m.put("acknowledged", l.acknowledged());
        m.put("jobs", l.pending().stream().limit(20).map(dev.berth.hooks.JobJson::fields).toList());
        return m;
    }
}
