// berth apps, apps:info, apps:destroy, releases, rollback, config, config:set, config:unset, domains:add, domains:remove.
package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The app commands, in Dokku's and Heroku's words, each one call of the control API. */
final class AppCommands {
    private AppCommands() {
    }

    /** The states of an app's instances in one cell: "HEALTHY 3, STARTING 1". */
    static String states(JsonNode byState) {
        StringBuilder b = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = byState.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            b.append(b.length() == 0 ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue().asInt());
        }
        return b.length() == 0 ? "none" : b.toString();
    }

    @Command(name = "apps", description = "List the apps: release, instances wanted, instances by state.")
    static final class Apps extends ClientCommand {
        @Override
        int run(ApiClient api) {
            JsonNode apps = api.get("v1/apps");
            Table t = new Table("APP", "RELEASE", "WANTED", "STOPPED", "INSTANCES");
            apps.forEach(a -> t.row(a.path("name").asText(), a.path("release").asText(), a.path("instances").asText(),
                    a.path("stopped").asBoolean() ? "yes" : "no", states(a.path("states"))));
            return show(apps, t::print);
        }
    }

    @Command(name = "apps:info", description = "An app: its release, spec, domains and instances.")
    static final class Info extends ClientCommand {
        @Parameters(paramLabel = "APP", description = "the app")
        String app;

        @Override
        int run(ApiClient api) {
            JsonNode a = api.get("v1/apps/" + seg(app));
            return show(a, out -> {
                out.println("app:       " + a.path("name").asText());
                out.println("release:   " + a.path("release").asText());
                out.println("wanted:    " + a.path("instances").asText() + (a.path("stopped").asBoolean() ? " (stopped)" : ""));
                out.println("instances: " + states(a.path("states")));
                out.println("command:   " + a.path("spec").path("command"));
                out.println("domains:   " + a.path("spec").path("routing").path("domains"));
                out.println();
                PsCommands.instanceTable(a.path("instanceRecords")).print(out);
            });
        }
    }

    @Command(name = "apps:destroy", description = "Stop every instance of an app and forget it (admin token).")
    static final class Destroy extends ClientCommand {
        @Parameters(paramLabel = "APP", description = "the app")
        String app;

        @Option(names = "--confirm", paramLabel = "APP", required = true,
                description = "the app's name again, so that no app is destroyed by a slip")
        String confirm;

        @Override
        int run(ApiClient api) {
            if (!app.equals(confirm)) {
                throw new CliException("--confirm '" + confirm + "' is not the app's name: give --confirm " + app);
            }
            JsonNode r = api.call("DELETE", "v1/apps/" + seg(app), null);
            return done(connection, r, "destroyed app " + app);
        }
    }

    @Command(name = "releases", description = "An app's releases, oldest first, with their outcomes.")
    static final class Releases extends ClientCommand {
        @Parameters(paramLabel = "APP", description = "the app")
        String app;

        @Override
        int run(ApiClient api) {
            JsonNode list = api.get("v1/apps/" + seg(app) + "/releases");
            Table t = new Table("RELEASE", "OUTCOME", "STARTED", "FINISHED", "REASON");
            list.forEach(r -> t.row(r.path("release").asText(), r.path("outcome").asText(), r.path("startedAt").asText(null),
                    r.path("finishedAt").asText(null), r.path("reason").asText(null)));
            return show(list, t::print);
        }
    }

    @Command(name = "config", description = "An app's environment (values shown to admin tokens only).")
    static final class Config extends ClientCommand {
        @Parameters(paramLabel = "APP", description = "the app")
        String app;

        @Override
        int run(ApiClient api) {
            JsonNode env = api.get("v1/apps/" + seg(app)).path("spec").path("env");
            Table t = new Table("NAME", "VALUE");
            env.fields().forEachRemaining(e -> t.row(e.getKey(), e.getValue().asText()));
            return show(env, t::print);
        }
    }

    @Command(name = "config:set", description = "Set env variables: a new release through the rolling update.")
    static final class ConfigSet extends ProgressCommand {
        @Parameters(index = "0", paramLabel = "APP", description = "the app")
        String app;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "NAME=VALUE", description = "the variables to set")
        List<String> pairs;

        @Override
        int run(ApiClient api) throws Exception {
            Map<String, String> set = new LinkedHashMap<>();
            for (String p : pairs) {
                String[] kv = nameValue(p, "");
                set.put(kv[0], kv[1]);
            }
            return rollout(api, app, () -> api.call("PATCH", "v1/apps/" + seg(app) + "/env", Map.of("set", set)));
        }
    }

    @Command(name = "config:unset", description = "Unset env variables: a new release through the rolling update.")
    static final class ConfigUnset extends ProgressCommand {
        @Parameters(index = "0", paramLabel = "APP", description = "the app")
        String app;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "NAME", description = "the variables to unset")
        List<String> names;

        @Override
        int run(ApiClient api) throws Exception {
            return rollout(api, app, () -> api.call("PATCH", "v1/apps/" + seg(app) + "/env", Map.of("unset", names)));
        }
    }

    @Command(name = "rollback", description = "Go back to the newest earlier release that rolled out successfully.")
    static final class Rollback extends ProgressCommand {
        @Parameters(paramLabel = "APP", description = "the app")
        String app;

        @Override
        int run(ApiClient api) throws Exception {
            return rollout(api, app, () -> api.call("POST", "v1/apps/" + seg(app) + "/rollback", null));
        }
    }

    @Command(name = "domains:add", description = "Route a domain to an app (no restart).")
    static final class DomainsAdd extends ClientCommand {
        @Parameters(index = "0", paramLabel = "APP", description = "the app")
        String app;

        @Parameters(index = "1", paramLabel = "DOMAIN", description = "the domain, such as shop.example.com")
        String domain;

        @Override
        int run(ApiClient api) {
            JsonNode r = api.call("POST", "v1/apps/" + seg(app) + "/domains", Map.of("domain", domain));
            return done(connection, r, "app " + app + " domains: " + r.path("domains"));
        }
    }

    @Command(name = "domains:remove", description = "Stop routing a domain to an app (no restart).")
    static final class DomainsRemove extends ClientCommand {
        @Parameters(index = "0", paramLabel = "APP", description = "the app")
        String app;

        @Parameters(index = "1", paramLabel = "DOMAIN", description = "the domain")
        String domain;

        @Override
        int run(ApiClient api) {
            JsonNode r = api.call("DELETE", "v1/apps/" + seg(app) + "/domains/" + seg(domain), null);
            return done(connection, r, "app " + app + " domains: " + r.path("domains"));
        }
    }

    /** Prints the answer as JSON or {@code said}; 0. */
    static int done(Connection c, JsonNode answer, String said) {
        if (c.json) {
            c.printJson(answer);
        } else {
            c.out().println(said);
            c.out().flush();
        }
        return 0;
    }
}
