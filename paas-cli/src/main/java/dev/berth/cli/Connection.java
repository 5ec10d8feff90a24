// The options every client command shares: where the server is, the token, and --json.
package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.net.URI;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The client's connection ({@code --addr}, default {@code BERTH_ADDR} or
 * {@code http://127.0.0.1:4000}; {@code --token}, default {@code BERTH_TOKEN}) and its output
 * ({@code --json} for scripts, tables for people), mixed into every client command.
 */
final class Connection {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--addr", paramLabel = "URL", defaultValue = "${env:BERTH_ADDR:-http://127.0.0.1:4000}",
            description = "the control API's address (default: BERTH_ADDR, else http://127.0.0.1:4000)")
    String addr;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:BERTH_TOKEN}",
            description = "the API token (default: BERTH_TOKEN); better kept in the environment than on a command line")
    String token;

    @Option(names = "--json", description = "print the API's JSON (stable field names) instead of a table")
    boolean json;

    /** A client for the server, the address checked. */
    ApiClient client() {
        URI uri;
        try {
            uri = URI.create(addr.endsWith("/") ? addr : addr + "/");
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--addr '" + addr + "' is not a URL: give one such as http://127.0.0.1:4000");
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--addr '" + addr + "' is not allowed: it must be http://HOST:PORT or https://HOST:PORT");
        }
        return new ApiClient(uri, token);
    }

    /** Where the command prints. */
    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Prints {@code node} as indented JSON. */
    void printJson(JsonNode node) {
        try {
            out().println(JSON.writeValueAsString(node));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CliException("cannot print the answer as JSON: " + e.getMessage(), e);
        }
        out().flush();
    }
}
