// berth nodes, berth traffic, berth exec ID -- CMD ARGS...
package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The cluster's nodes and traffic, and a command run in an instance. */
final class ClusterCommands {
    private ClusterCommands() {
    }

    @Command(name = "nodes", description = "The nodes: up or down, instances, free and total capacity.")
    static final class Nodes extends ClientCommand {
        @Override
        int run(ApiClient api) {
            JsonNode nodes = api.get("v1/nodes");
            Table t = new Table("NODE", "UP", "INSTANCES", "CPU FREE", "MEMORY FREE (MiB)", "LABELS");
            nodes.forEach(n -> t.row(n.path("id").asText(), n.path("up").asBoolean() ? "yes" : "NO", n.path("instances").asInt(),
                    free(n, "cpu"), free(n, "memoryMb"), n.path("labels").isEmpty() ? null : n.path("labels").toString()));
            return show(nodes, t::print);
        }

        private static String free(JsonNode n, String dimension) {
            JsonNode cap = n.path("capacity").path(dimension);
            return cap.isMissingNode() ? "-" : n.path("free").path(dimension).asText() + " of " + cap.asText();
        }
    }

    @Command(name = "traffic", description = "Requests and bytes sent per domain, as the router counted them.")
    static final class Traffic extends ClientCommand {
        @Override
        int run(ApiClient api) {
            JsonNode traffic = api.get("v1/traffic");
            Table t = new Table("DOMAIN", "REQUESTS", "BYTES SENT");
            traffic.fields().forEachRemaining(e -> t.row(e.getKey(), e.getValue().path("requests").asLong(),
                    e.getValue().path("bytesSent").asLong()));
            return show(traffic, t::print);
        }
    }

    @Command(name = "exec", description = "Run a command in an instance's directory and environment (admin token).")
    static final class Exec extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "the instance, such as web-3")
        String id;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "the command and its arguments (after --)")
        List<String> argv;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
                description = "kill the command after this long (default: ${DEFAULT-VALUE} s)")
        int timeoutSeconds;

        @Override
        int run(ApiClient api) {
            JsonNode r = api.call("POST", "v1/instances/" + seg(id) + "/exec",
                    Map.of("argv", argv, "timeoutSeconds", timeoutSeconds));
            if (connection.json) {
                connection.printJson(r);
            } else {
                PrintWriter out = connection.out();
                out.print(r.path("output").asText());
                out.flush();
            }
            int code = r.path("exitCode").asInt();
            if (code != 0) {
                PrintWriter err = connection.spec.commandLine().getErr();
                err.println("berth: the command exited with " + code);
                err.flush();
                return 1;
            }
            return 0;
        }
    }
}
