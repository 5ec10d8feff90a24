// berth modules, berth presets:set|remove MODULE APP, berth jobs: the hook modules over the control API.
package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** The hook modules, their presets per app, and the job queue's lanes. */
final class HookCommands {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HookCommands() {
    }

    @Command(name = "modules", description = "The hook modules and their presets per app.")
    static final class Modules extends ClientCommand {
        @Override
        int run(ApiClient api) {
            JsonNode modules = api.get("v1/modules");
            Table t = new Table("MODULE", "APP", "ENABLED", "OPTIONS");
            modules.forEach(m -> {
                if (m.path("presets").isEmpty()) {
                    t.row(m.path("name").asText(), "-", "-", null);
                }
                m.path("presets").forEach(p -> t.row(m.path("name").asText(), p.path("app").asText(),
                        p.path("enabled").asBoolean() ? "yes" : "no", p.path("options").toString()));
            });
            return show(modules, t::print);
        }
    }

    @Command(name = "presets:set", description = "Enable or disable a module for an app, with its options (admin token).")
    static final class PresetsSet extends ClientCommand {
        @Parameters(index = "0", paramLabel = "MODULE", description = "the module, such as webhook")
        String module;

        @Parameters(index = "1", paramLabel = "APP", description = "the app")
        String app;

        static final class State {
            @Option(names = "--enabled", required = true, description = "deliver the app's jobs to the module")
            boolean enabled;

            @Option(names = "--disabled", required = true, description = "stop delivering them at once")
            boolean disabled;
        }

        @ArgGroup(exclusive = true, multiplicity = "1")
        State state;

        @Option(names = "--option", paramLabel = "NAME=VALUE",
                description = "an option as text (repeat a NAME for a list: --option argv=/bin/echo --option argv=hi)")
        List<String> options = new ArrayList<>();

        @Option(names = "--json-option", paramLabel = "NAME=JSON",
                description = "an option as a JSON value, such as timeoutMs=2000 or 'argv=[\"/usr/local/bin/notify\"]'")
        List<String> jsonOptions = new ArrayList<>();

        @Override
        int run(ApiClient api) throws Exception {
            Map<String, Object> opts = new LinkedHashMap<>();
            for (String o : options) {
                String[] kv = nameValue(o, "--option ");
                Object before = opts.get(kv[0]);
                if (before == null) {
                    opts.put(kv[0], kv[1]);
                } else {
                    List<Object> list = before instanceof List<?> l ? new ArrayList<>(l) : new ArrayList<>(List.of(before));
                    list.add(kv[1]);
                    opts.put(kv[0], list);
                }
            }
            for (String o : jsonOptions) {
                String[] kv = nameValue(o, "--json-option ");
                try {
                    opts.put(kv[0], JSON.readValue(kv[1], Object.class));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new ParameterException(connection.spec.commandLine(), "--json-option " + kv[0] + ": not JSON: "
                            + e.getOriginalMessage());
                }
            }
            JsonNode r = api.call("PUT", "v1/modules/" + seg(module) + "/presets/" + seg(app),
                    Map.of("enabled", state.enabled, "options", opts));
            return show(r, out -> out.println("module " + module + " for app " + app + ": "
                    + (r.path("enabled").asBoolean() ? "enabled" : "disabled") + " " + r.path("options")));
        }
    }

    @Command(name = "presets:remove", description = "Remove a module's preset for an app, and what it acknowledged (admin token).")
    static final class PresetsRemove extends ClientCommand {
        @Parameters(index = "0", paramLabel = "MODULE", description = "the module")
        String module;

        @Parameters(index = "1", paramLabel = "APP", description = "the app")
        String app;

        @Override
        int run(ApiClient api) {
            JsonNode r = api.call("DELETE", "v1/modules/" + seg(module) + "/presets/" + seg(app), null);
            return show(r, out -> out.println("module " + module + " for app " + app + ": preset removed"));
        }
    }

    @Command(name = "jobs", description = "The job queue's lanes: pending jobs, the one in progress, the module's last error.")
    static final class Jobs extends ClientCommand {
        @Option(names = "--app", paramLabel = "APP", description = "only this app's lanes")
        String app;

        @Override
        int run(ApiClient api) {
            JsonNode lanes = api.get("v1/jobs" + (app == null ? "" : "?app=" + seg(app)));
            Table t = new Table("MODULE", "APP", "ENABLED", "PENDING", "ACKED UP", "ATTEMPTS", "LAST ERROR");
            lanes.forEach(l -> t.row(l.path("module").asText(), l.path("app").asText(), l.path("enabled").asBoolean() ? "yes" : "no",
                    l.path("pending").asInt(), l.path("acknowledged").asInt(), l.path("attempts").asInt(),
                    l.path("lastError").isNull() ? null : l.path("lastError").asText()));
            return show(lanes, t::print);
        }
    }
}
