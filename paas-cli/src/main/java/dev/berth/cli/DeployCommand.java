// berth deploy -f MANIFEST [--plan]: every app of a YAML or Mako JSON manifest, through the API, followed until rolled out.
package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.berth.api.AppSpec;
import dev.berth.api.InvalidSpecException;
import dev.berth.core.Manifests;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Reads a manifest (YAML, or Mako Master's JSON when the file ends in {@code .json}; several apps
 * in one file), checks every app before sending any, then deploys them one after the other
 * ({@code PUT /v1/apps/{app}}), following each rollout ({@link ProgressCommand}); stops at the
 * first that fails. {@code --plan} asks the server what each deploy would do and changes nothing.
 */
@Command(name = "deploy", description = "Deploy the apps of a manifest (YAML or Mako JSON); --plan shows what would change.")
final class DeployCommand extends ProgressCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = {"-f", "--file"}, paramLabel = "MANIFEST", required = true,
            description = "the manifest: YAML (apps: ...), or Mako Master's JSON when it ends in .json")
    Path file;

    @Option(names = "--cluster", paramLabel = "NAME", description = "the cluster of a YAML manifest's clusters: section")
    String cluster;

    @Option(names = "--plan", description = "show what each deploy would do (changes, placement, steps) and change nothing")
    boolean plan;

    @Override
    int run(ApiClient api) throws Exception {
        List<AppSpec> specs = read();
        if (plan) {
            ArrayNode plans = JSON.createArrayNode();
            for (AppSpec s : specs) {
                plans.add(api.call("POST", "v1/apps/" + seg(s.name()) + "/plan", Manifests.toTree(s)));
            }
            if (connection.json) {
                connection.printJson(plans);
            } else {
                plans.forEach(p -> printPlan(connection.out(), p));
            }
            return 0;
        }
        for (AppSpec s : specs) {
            int code = rollout(api, s.name(), () -> api.call("PUT", "v1/apps/" + seg(s.name()), Manifests.toTree(s)));
            if (code != 0) {
                return code;
            }
        }
        return 0;
    }

    private List<AppSpec> read() throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CliException("--file " + file + ": no such file (give a YAML manifest or a Mako JSON manifest)");
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            List<AppSpec> specs = file.getFileName().toString().endsWith(".json")
                    ? Manifests.parseMakoJson(text, file.toString()) : Manifests.parseYaml(text, file.toString(), cluster);
            if (specs.isEmpty()) {
                throw new CliException("--file " + file + " defines no app");
            }
            return specs;
        } catch (InvalidSpecException | IllegalArgumentException e) {
            throw new CliException(e.getMessage(), e);
        }
    }

    /** A plan as people read it. */
    static void printPlan(PrintWriter out, JsonNode p) {
        String app = p.path("app").asText();
        if (p.path("unchanged").asBoolean()) {
            out.println("app " + app + ": no change");
            out.flush();
            return;
        }
        out.println("app " + app + ": " + (p.path("currentRelease").isNull() ? "new app"
                : p.path("newRelease").asBoolean() ? "new release over " + p.path("currentRelease").asText()
                : "same release " + p.path("currentRelease").asText()));
        p.path("changes").forEach(c -> out.println("  ~ " + c.path("field").asText() + ": "
                + c.path("before").asText("(unset)") + " -> " + c.path("after").asText("(unset)")));
        StringBuilder where = new StringBuilder();
        p.path("placement").fields().forEachRemaining(e -> where.append(where.length() == 0 ? "" : ", ")
                .append(e.getKey()).append(" ×").append(e.getValue().asInt()));
        out.println("  start " + p.path("toStart").asInt() + (where.length() == 0 ? "" : " (" + where + ")")
                + ", stop " + p.path("toStop").size() + (p.path("toStop").isEmpty() ? "" : " " + p.path("toStop")));
        if (p.path("unplaced").asInt() > 0) {
            out.println("  ! " + p.path("unplaced").asInt() + " cannot be placed: " + p.path("unplacedReason").asText());
        }
        int n = 0;
        for (JsonNode s : p.path("steps")) {
            out.println("  step " + ++n + ": start " + s.path("start").asInt() + ", stop " + s.path("stop").size()
                    + (s.path("stop").isEmpty() ? "" : " " + s.path("stop")));
        }
        out.flush();
    }
}
