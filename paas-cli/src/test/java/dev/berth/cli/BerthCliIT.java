// The berth client against a real control server and platform (process backend): outputs, --json, exit codes, progress.
package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import dev.berth.server.ControlServer;
import dev.berth.server.Tokens;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Berth} run in this JVM (as the launcher runs it) against a real {@link ControlServer} on a
 * loopback port over a real platform whose instances are processes: what people read, what
 * scripts read ({@code --json}), and the exit codes 0, 1 and 2.
 */
class BerthCliIT {
    private static final String ADMIN = "admin-token-0123456789";
    private static final String READ = "read-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Platform platform;
    private ControlServer server;

    /** What one run printed, and its exit code. */
    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    @BeforeEach
    void start() {
        platform = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(16).build()))
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .stateDir(tmp.resolve("state"))
                .build();
        server = ControlServer.builder().platform(platform).bind("127.0.0.1", 0)
                .tokens(Tokens.parse(List.of("admin " + ADMIN, "read " + READ), "test")).build();
    }

    @AfterEach
    void stop() {
        server.close();
        platform.stopAll(Duration.ofSeconds(30));
        platform.close();
    }

    private Run berth(String token, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.isEmpty() && !all.get(0).equals("generate-completion")) {
            all.addAll(1, List.of("--addr", server.url(), "--token", token));
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Berth.run(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private Path manifest(String name, String yaml) throws Exception {
        return Files.writeString(tmp.resolve(name), yaml);
    }

    private static final String TWO_APPS = """
            apps:
              web:
                command: [sh, -c, "echo started $BERTH_INSTANCE_ID; exec sleep 300"]
                env: {GREETING: hello}
                instances: 2
              worker:
                command: [sh, -c, "exec sleep 300"]
                instances: 1
            """;

    @Test
    void deployFollowsEachRolloutAndScriptsReadStableJson() throws Exception {
        Path m = manifest("apps.yml", TWO_APPS);
        Run plan = berth(ADMIN, "deploy", "-f", m.toString(), "--plan");
        assertThat(plan.code()).as(plan.err()).isZero();
        assertThat(plan.out()).contains("app web: new app", "app worker: new app", "start 2 (local ×2)");
        assertThat(platform.apps()).as("a plan changes nothing").isEmpty();

        Run deploy = berth(ADMIN, "deploy", "-f", m.toString());
        assertThat(deploy.code()).as(deploy.out() + deploy.err()).isZero();
        assertThat(deploy.out()).contains("app web: release", "rolling out", "web-1 started on local", "succeeded")
                .containsPattern("rolled out in [0-9]+ ms")
                .contains("app worker: release");

        JsonNode apps = berth(READ, "apps", "--json").json();
        assertThat(apps).hasSize(2);
        JsonNode web = apps.get(0);
        assertThat(web.fieldNames()).toIterable().containsExactly("name", "release", "instances", "stopped", "states");
        assertThat(web.get("name").asText()).isEqualTo("web");
        assertThat(web.get("release").asText()).isEqualTo(platform.app("web").release());
        assertThat(web.get("instances").asInt()).isEqualTo(2);
        assertThat(berth(READ, "apps").out()).startsWith("APP  ").contains("web", "worker");

        JsonNode ps = berth(READ, "ps", "web", "--json").json();
        assertThat(ps).hasSize(2);
        assertThat(ps.get(0).has("id") && ps.get(0).has("state") && ps.get(0).has("node") && ps.get(0).has("release")).isTrue();
        assertThat(berth(READ, "ps", "web").out()).startsWith("INSTANCE").contains("web-1", "web-2", "local");

        Run again = berth(ADMIN, "deploy", "-f", m.toString(), "--json");
        assertThat(again.code()).isZero();
        assertThat(again.out()).contains("\"outcome\" : \"unchanged\"");
        assertThat(berth(READ, "releases", "web").out()).contains("SUCCEEDED");
        assertThat(berth(READ, "events", "--app", "web", "--type", "DeploySucceeded").out()).contains("DeploySucceeded  web");
    }

    @Test
    void scaleConfigAndRollbackWaitForTheirOutcome() throws Exception {
        berth(ADMIN, "deploy", "-f", manifest("apps.yml", TWO_APPS).toString());
        String first = platform.app("web").release();

        Run scale = berth(ADMIN, "ps:scale", "web", "3");
        assertThat(scale.code()).as(scale.err()).isZero();
        assertThat(scale.out()).contains("app web runs 3 instance(s)");
        assertThat(platform.instances("web")).hasSize(3);

        Run set = berth(ADMIN, "config:set", "web", "GREETING=bonjour", "LEVEL=debug");
        assertThat(set.code()).as(set.out() + set.err()).isZero();
        assertThat(set.out()).contains("succeeded");
        assertThat(berth(ADMIN, "config", "web").out()).contains("GREETING  bonjour", "LEVEL     debug");
        assertThat(berth(READ, "config", "web", "--json").out()).doesNotContain("bonjour");

        Run back = berth(ADMIN, "rollback", "web", "--json");
        assertThat(back.code()).as(back.out() + back.err()).isZero();
        assertThat(back.json().get("release").asText()).isEqualTo(first);
        assertThat(back.json().get("outcome").asText()).isEqualTo("succeeded");

        String one = platform.instances("web").get(0).id();
        Run exec = berth(ADMIN, "exec", one, "--", "sh", "-c", "echo $GREETING");
        assertThat(exec.code()).isZero();
        assertThat(exec.out()).isEqualTo("hello\n");
        Run failing = berth(ADMIN, "exec", one, "--", "sh", "-c", "exit 3");
        assertThat(failing.code()).isEqualTo(1);
        assertThat(failing.err()).contains("exited with 3");
    }

    @Test
    void aReleaseThatNeverStartsIsReportedWithExitCodeOne() throws Exception {
        berth(ADMIN, "deploy", "-f", manifest("apps.yml", TWO_APPS).toString());
        Path broken = manifest("broken.yml", """
                apps:
                  web:
                    command: [sh, -c, "exec sleep 300"]
                    env: {PORT: RANDOM_PORT}
                    instances: 2
                    update: {deadline: 5s}
                """);
        Run deploy = berth(ADMIN, "deploy", "-f", broken.toString());
        assertThat(deploy.code()).as(deploy.out() + deploy.err()).isEqualTo(1);
        assertThat(deploy.out()).contains("rolled back");
        assertThat(berth(READ, "releases", "web", "--json").out()).contains("ROLLED_BACK");
    }

    @Test
    void mistakesSayWhatToDoWithExitCodesOneAndTwo() {
        Run noServer = new Run(Berth.run(new String[] {"apps", "--addr", "http://127.0.0.1:1"}, new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter())), "", "");
        assertThat(noServer.code()).isEqualTo(1);
        StringWriter err = new StringWriter();
        Berth.run(new String[] {"apps", "--addr", "http://127.0.0.1:1"}, new PrintWriter(new StringWriter()), new PrintWriter(err, true));
        assertThat(err.toString()).contains("no Berth server answers at http://127.0.0.1:1/", "berth serve", "BERTH_ADDR");

        Run badToken = berth("wrong-token-0123456789", "apps");
        assertThat(badToken.code()).isEqualTo(1);
        assertThat(badToken.err()).contains("did not accept the token", "BERTH_TOKEN").doesNotContain("wrong-token");

        Run noApp = berth(READ, "ps", "nope");
        assertThat(noApp.code()).isEqualTo(1);
        assertThat(noApp.err()).contains("nope");

        Run readOnly = berth(READ, "ps:scale", "web", "2");
        assertThat(readOnly.code()).isEqualTo(1);
        Run noInstance = berth(ADMIN, "shell", "web-9");
        assertThat(noInstance.code()).isEqualTo(1);
        assertThat(noInstance.err()).contains("web-9");
        Run readShell = berth(READ, "shell", "web-9");
        assertThat(readShell.code()).isEqualTo(1);
        assertThat(readShell.err()).contains("scope (read)", "admin");

        assertThat(berth(ADMIN, "ps:scale", "web").code()).as("a missing N is a usage error").isEqualTo(2);
        assertThat(berth(ADMIN, "ps:scale", "web", "lots").code()).isEqualTo(2);
        assertThat(berth(ADMIN, "apps:destroy", "web", "--confirm", "wbe").code()).isEqualTo(1);
        assertThat(berth(ADMIN, "no-such-command").code()).isEqualTo(2);

        Run completion = berth(ADMIN, "generate-completion");
        assertThat(completion.code()).isZero();
        assertThat(completion.out()).contains("complete -F", "ps:scale");
    }
}
