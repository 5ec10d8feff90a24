// berth's --json output compared with golden files: the field names and shapes scripts rely on, release names and times masked.
package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.berth.api.InstanceState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each command's {@code --json} output, after a fixed sequence of deploys, is compared with
 * {@code src/test/resources/golden/NAME.json}: a renamed, dropped or retyped field fails here before
 * it breaks someone's script. What differs from run to run (release names, times, ports, durations,
 * event indexes) is masked first. {@code -Dberth.golden.update=true} rewrites the files (then read
 * the diff).
 */
class JsonGoldenIT {
    private static final Path GOLDEN = Path.of("src", "test", "resources", "golden");
    private static final Map<Pattern, String> MASKS = Map.of(
            Pattern.compile("\\br[0-9]+-[a-z0-9]{4,}\\b"), "<release>",
            Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"), "<time>",
            Pattern.compile("127\\.0\\.0\\.1:[0-9]+"), "127.0.0.1:<port>",
            Pattern.compile("\\b[0-9]+ ms\\b"), "<n> ms");
    private static final Pattern VARYING_NUMBERS = Pattern.compile("durationMs|elapsedMs|index|bytes|pid|handle");

    @TempDir
    Path tmp;
    private CliFixture cli;

    @BeforeEach
    void start() {
        cli = new CliFixture(tmp);
    }

    @AfterEach
    void stop() {
        cli.close();
    }

    @Test
    void everyCommandsJsonKeepsItsShape() throws Exception {
        Path manifest = Files.writeString(tmp.resolve("apps.yml"), """
                apps:
                  web:
                    command: [sh, -c, "echo started; exec busybox httpd -f -p 127.0.0.1:$PORT -h ."]
                    env: {GREETING: hello, TOKEN: not-for-readers, PORT: RANDOM_PORT}
                    instances: 2
                    routing: {domains: [web.example.test]}
                  worker:
                    command: [sh, -c, "exec sleep 300"]
                    instances: 1
                """);
        golden("deploy", cli.berth(CliFixture.ADMIN, "deploy", "-f", manifest.toString(), "--json"));
        golden("deploy-plan", cli.berth(CliFixture.READ, "deploy", "-f", manifest.toString(), "--plan", "--json"));
        golden("ps-scale", cli.berth(CliFixture.ADMIN, "ps:scale", "web", "3", "--json"));
        await().atMost(Duration.ofSeconds(30)).until(() -> cli.platform.instances("web").stream()
                .allMatch(i -> i.record().state() == InstanceState.HEALTHY));
        golden("config-set", cli.berth(CliFixture.ADMIN, "config:set", "web", "GREETING=bonjour", "--json"));
        golden("rollback", cli.berth(CliFixture.ADMIN, "rollback", "web", "--json"));
        await().atMost(Duration.ofSeconds(30)).until(() -> cli.platform.instances("web").stream()
                .allMatch(i -> i.record().state() == InstanceState.HEALTHY));
        golden("apps", cli.berth(CliFixture.READ, "apps", "--json"));
        golden("apps-info", cli.berth(CliFixture.READ, "apps:info", "web", "--json"));
        golden("ps", cli.berth(CliFixture.READ, "ps", "web", "--json"));
        golden("config", cli.berth(CliFixture.READ, "config", "web", "--json"));
        golden("releases", cli.berth(CliFixture.READ, "releases", "web", "--json"));
        golden("domains-add", cli.berth(CliFixture.ADMIN, "domains:add", "web", "www.example.test", "--json"));
        golden("nodes", cli.berth(CliFixture.READ, "nodes", "--json"));
        golden("traffic", cli.berth(CliFixture.READ, "traffic", "--json"));
    }

    private void golden(String name, CliFixture.Run run) throws Exception {
        assertThat(run.code()).as(name + ": " + run.out() + run.err()).isZero();
        String actual = CliFixture.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(mask(run.json())) + "\n";
        Path file = GOLDEN.resolve(name + ".json");
        if (Boolean.getBoolean("berth.golden.update")) {
            Files.writeString(file, actual, StandardCharsets.UTF_8);
        }
        assertThat(file).as("golden file for berth " + name + " --json (-Dberth.golden.update=true writes it)").exists();
        assertThat(actual).as("berth " + name + " --json against " + file).isEqualTo(Files.readString(file));
    }

    /** The tree with run-dependent values replaced by placeholders. */
    private static JsonNode mask(JsonNode node) {
        if (node.isObject()) {
            ObjectNode o = (ObjectNode) node;
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isNumber() && VARYING_NUMBERS.matcher(e.getKey()).find()) {
                    e.setValue(TextNode.valueOf("<number>"));
                } else {
                    e.setValue(mask(e.getValue()));
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                ((com.fasterxml.jackson.databind.node.ArrayNode) node).set(i, mask(node.get(i)));
            }
        } else if (node.isTextual()) {
            String s = node.asText();
            for (Map.Entry<Pattern, String> m : MASKS.entrySet()) {
                s = m.getKey().matcher(s).replaceAll(m.getValue());
            }
            return TextNode.valueOf(s);
        }
        return node;
    }
}
