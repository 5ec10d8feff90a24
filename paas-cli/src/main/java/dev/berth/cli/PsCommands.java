// berth ps, ps:scale, ps:restart, ps:stop, ps:start, and instances:kill|stop|restart.
package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The process commands: an app's instances, its count, and what one instance does. */
final class PsCommands {
    private PsCommands() {
    }

    /** Instance records (as the API answers them) as a table. */
    static Table instanceTable(JsonNode records) {
        Table t = new Table("INSTANCE", "STATE", "RELEASE", "NODE", "ENDPOINT", "RESTARTS", "STARTED");
        records.forEach(r -> t.row(r.path("id").asText(), r.path("state").asText(), r.path("release").asText(),
                r.path("node").asText(), r.path("endpoint").isNull() || r.path("endpoint").isMissingNode() ? null
                        : r.path("endpoint").asText(), r.path("restarts").asInt(), r.path("startedAt").asText(null)));
        return t;
    }

    @Command(name = "ps", description = "An app's instances: state, release, node, endpoint, restarts.")
    static final class Ps extends ClientCommand {
        @Parameters(paramLabel = "APP", description = "the app")
        String app;

        @Override
        int run(ApiClient api) {
            JsonNode list = api.get("v1/apps/" + seg(app) + "/instances");
            return show(list, instanceTable(list)::print);
        }
    }

    @Command(name = "ps:scale", description = "Set how many instances an app runs (a count, or * for one on every node).")
    static final class Scale extends ClientCommand {
        @Parameters(index = "0", paramLabel = "APP", description = "the app")
        String app;

        @Parameters(index = "1", paramLabel = "N|*", description = "the count (0-10000), or * (one on every node)")
        String count;

        @Option(names = "--detach", description = "return once the count is recorded, without waiting for the instances")
        boolean detach;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
                description = "the longest to wait for the instances (default: ${DEFAULT-VALUE} s); then exit 1")
        int timeoutSeconds;

        @Override
        int run(ApiClient api) throws InterruptedException {
            Object n;
            if (count.equals("*")) {
                n = "*";
            } else {
                try {
                    n = Integer.parseInt(count);
                } catch (NumberFormatException e) {
                    throw new picocli.CommandLine.ParameterException(connection.spec.commandLine(),
                            "N '" + count + "' is not allowed: give a count such as 3, or * for one on every node");
                }
            }
            JsonNode r = api.call("POST", "v1/apps/" + seg(app) + "/scale", Map.of("instances", n));
            if (detach || n.equals("*")) {
                return AppCommands.done(connection, r, "app " + app + " scaled to " + count);
            }
            int want = (Integer) n;
            long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
            String last = "";
            while (true) {
                JsonNode a = api.get("v1/apps/" + seg(app));
                int up = a.path("states").path("HEALTHY").asInt() + a.path("states").path("RUNNING").asInt();
                int all = a.path("instanceRecords").size();
                String now = AppCommands.states(a.path("states"));
                if (!now.equals(last) && !connection.json) {
                    connection.out().println("  " + now);
                    connection.out().flush();
                    last = now;
                }
                if (up == want && all == want) {
                    return AppCommands.done(connection, r, "app " + app + " runs " + want + " instance(s)");
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new CliException("app " + app + " does not run " + want + " instance(s) after " + timeoutSeconds
                            + " s (" + now + "); see berth ps " + app + " and berth events --app " + app);
                }
                Thread.sleep(250);
            }
        }
    }

    /** An action on an app: restart (one instance at a time), stop, start. */
    abstract static class AppAction extends ClientCommand {
        @Parameters(paramLabel = "APP", description = "the app")
        String app;

        abstract String action();

        @Override
        int run(ApiClient api) {
            JsonNode r = api.call("POST", "v1/apps/" + seg(app) + "/" + action(), null);
            return AppCommands.done(connection, r, "app " + app + ": " + action() + (action().equals("stop") ? "ped" : "ed"));
        }
    }

    @Command(name = "ps:restart", description = "Restart an app's instances, one at a time.")
    static final class Restart extends AppAction {
        @Override
        String action() {
            return "restart";
        }
    }

    @Command(name = "ps:stop", description = "Stop an app (its spec is kept; ps:start runs it again).")
    static final class Stop extends AppAction {
        @Override
        String action() {
            return "stop";
        }
    }

    @Command(name = "ps:start", description = "Start a stopped app again.")
    static final class Start extends AppAction {
        @Override
        String action() {
            return "start";
        }
    }

    /** An action on one instance. */
    abstract static class InstanceAction extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the instance, such as web-3")
        String id;

        abstract String action();

        @Override
        int run(ApiClient api) {
            JsonNode r = api.call("POST", "v1/instances/" + seg(id) + "/" + action(), null);
            return AppCommands.done(connection, r, "instance " + id + ": " + action() + " asked");
        }
    }

    @Command(name = "instances:kill", description = "Kill an instance (SIGKILL; admin token): the platform respawns it.")
    static final class Kill extends InstanceAction {
        @Override
        String action() {
            return "kill";
        }
    }

    @Command(name = "instances:stop", description = "Stop an instance; it keeps its place until started or removed.")
    static final class StopOne extends InstanceAction {
        @Override
        String action() {
            return "stop";
        }
    }

    @Command(name = "instances:restart", description = "Restart an instance in place.")
    static final class RestartOne extends InstanceAction {
        @Override
        String action() {
            return "restart";
        }
    }
}
