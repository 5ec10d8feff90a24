// The berth client against a real control server and platform (process backend): outputs, --json, exit codes, progress.
package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.core.Platform;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Berth} run in this JVM (as the launcher runs it) against a real control server on a
 * loopback port over a real platform whose instances are processes: what people read, what
 * scripts read ({@code --json}), and the exit codes 0, 1 and 2.
 */
class BerthCliIT {
    private static final String ADMIN = CliFixture.ADMIN;
    private static final String READ = CliFixture.READ;

    @TempDir
    Path tmp;

    private CliFixture cli;
    private Platform platform;

    @BeforeEach
    void start() {
        cli = new CliFixture(tmp);
        platform = cli.platform;
    }

    @AfterEach
    void stop() {
        cli.close();
    }

    private CliFixture.Run berth(String token, String... args) {
        return cli.berth(token, args);
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
        CliFixture.Run plan = berth(ADMIN, "deploy", "-f", m.toString(), "--plan");
        assertThat(plan.code()).as(plan.err()).isZero();
        assertThat(plan.out()).contains("app web: new app", "app worker: new app", "start 2 (local ×2)");
        assertThat(platform.apps()).as("a plan changes nothing").isEmpty();

        CliFixture.Run deploy = berth(ADMIN, "deploy", "-f", m.toString());
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

        CliFixture.Run again = berth(ADMIN, "deploy", "-f", m.toString(), "--json");
        assertThat(again.code()).isZero();
        assertThat(again.out()).contains("\"outcome\" : \"unchanged\"");
        assertThat(berth(READ, "releases", "web").out()).contains("SUCCEEDED");
        assertThat(berth(READ, "events", "--app", "web", "--type", "DeploySucceeded").out()).contains("DeploySucceeded  web");
    }

    @Test
    void scaleConfigAndRollbackWaitForTheirOutcome() throws Exception {
        berth(ADMIN, "deploy", "-f", manifest("apps.yml", TWO_APPS).toString());
        String first = platform.app("web").release();

        CliFixture.Run scale = berth(ADMIN, "ps:scale", "web", "3");
        assertThat(scale.code()).as(scale.err()).isZero();
        assertThat(scale.out()).contains("app web runs 3 instance(s)");
        assertThat(platform.instances("web")).hasSize(3);

        CliFixture.Run set = berth(ADMIN, "config:set", "web", "GREETING=bonjour", "LEVEL=debug");
        assertThat(set.code()).as(set.out() + set.err()).isZero();
        assertThat(set.out()).contains("succeeded");
        assertThat(berth(ADMIN, "config", "web").out()).contains("GREETING  bonjour", "LEVEL     debug");
        assertThat(berth(READ, "config", "web", "--json").out()).doesNotContain("bonjour");

        CliFixture.Run back = berth(ADMIN, "rollback", "web", "--json");
        assertThat(back.code()).as(back.out() + back.err()).isZero();
        assertThat(back.json().get("release").asText()).isEqualTo(first);
        assertThat(back.json().get("outcome").asText()).isEqualTo("succeeded");

        String one = platform.instances("web").get(0).id();
        CliFixture.Run exec = berth(ADMIN, "exec", one, "--", "sh", "-c", "echo $GREETING");
        assertThat(exec.code()).isZero();
        assertThat(exec.out()).isEqualTo("hello\n");
        CliFixture.Run failing = berth(ADMIN, "exec", one, "--", "sh", "-c", "exit 3");
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
        CliFixture.Run deploy = berth(ADMIN, "deploy", "-f", broken.toString());
        assertThat(deploy.code()).as(deploy.out() + deploy.err()).isEqualTo(1);
        assertThat(deploy.out()).contains("rolled back");
        assertThat(berth(READ, "releases", "web", "--json").out()).contains("ROLLED_BACK");
    }

    @Test
    void hookPresetsAreSetListedAndRemovedAndTheirJobsShown() throws Exception {
        berth(ADMIN, "deploy", "-f", manifest("apps.yml", TWO_APPS).toString());
        Path dir = tmp.resolve("sd");
        CliFixture.Run set = berth(ADMIN, "presets:set", "file-sd", "web", "--enabled", "--option", "dir=" + dir);
        assertThat(set.code()).as(set.err()).isZero();
        assertThat(set.out()).contains("module file-sd for app web: enabled");
        assertThat(berth(ADMIN, "modules").out()).startsWith("MODULE").contains("file-sd", "web", "yes", dir.toString());
        assertThat(berth(READ, "modules").out()).contains("file-sd", "web", "hidden").doesNotContain(dir.toString());
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> berth(READ, "jobs", "--json").json().get(0).path("acknowledged").asInt() == 2);
        assertThat(berth(READ, "jobs", "--app", "web").out()).startsWith("MODULE").contains("file-sd");
        assertThat(Files.exists(dir.resolve("web.json"))).isTrue();

        CliFixture.Run bad = berth(ADMIN, "presets:set", "file-sd", "web", "--enabled", "--option", "dir=relative/dir");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("options.dir", "an absolute directory");
        assertThat(berth(READ, "presets:set", "file-sd", "web", "--disabled").err()).contains("scope (read)");
        assertThat(berth(ADMIN, "presets:set", "file-sd", "web").code()).as("--enabled or --disabled is needed").isEqualTo(2);
        assertThat(berth(ADMIN, "presets:set", "file-sd", "web", "--enabled", "--json-option", "dir=[").code()).isEqualTo(2);
        assertThat(berth(ADMIN, "presets:set", "file-sd", "web", "--disabled", "--option", "dir=" + dir).code()).isZero();
        assertThat(berth(ADMIN, "presets:remove", "file-sd", "web").code()).isZero();
        assertThat(berth(READ, "modules", "--json").out()).doesNotContain("\"web\"");
    }

    @Test
    void mistakesSayWhatToDoWithExitCodesOneAndTwo() {
        CliFixture.Run noServer = new CliFixture.Run(Berth.run(new String[] {"apps", "--addr", "http://127.0.0.1:1"}, new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter())), "", "");
        assertThat(noServer.code()).isEqualTo(1);
        StringWriter err = new StringWriter();
        Berth.run(new String[] {"apps", "--addr", "http://127.0.0.1:1"}, new PrintWriter(new StringWriter()), new PrintWriter(err, true));
        assertThat(err.toString()).contains("no Berth server answers at http://127.0.0.1:1/", "berth serve", "BERTH_ADDR");

        CliFixture.Run badToken = berth("wrong-token-0123456789", "apps");
        assertThat(badToken.code()).isEqualTo(1);
        assertThat(badToken.err()).contains("did not accept the token", "BERTH_TOKEN").doesNotContain("wrong-token");

        CliFixture.Run noApp = berth(READ, "ps", "nope");
        assertThat(noApp.code()).isEqualTo(1);
        assertThat(noApp.err()).contains("nope");

        CliFixture.Run readOnly = berth(READ, "ps:scale", "web", "2");
        assertThat(readOnly.code()).isEqualTo(1);
        CliFixture.Run noInstance = berth(ADMIN, "shell", "web-9");
        assertThat(noInstance.code()).isEqualTo(1);
        assertThat(noInstance.err()).contains("web-9");
        CliFixture.Run readShell = berth(READ, "shell", "web-9");
        assertThat(readShell.code()).isEqualTo(1);
        assertThat(readShell.err()).contains("scope (read)", "admin");

        assertThat(berth(ADMIN, "ps:scale", "web").code()).as("a missing N is a usage error").isEqualTo(2);
        assertThat(berth(ADMIN, "ps:scale", "web", "lots").code()).isEqualTo(2);
        assertThat(berth(ADMIN, "apps:destroy", "web", "--confirm", "wbe").code()).isEqualTo(1);
        assertThat(berth(ADMIN, "no-such-command").code()).isEqualTo(2);

        CliFixture.Run completion = berth(ADMIN, "generate-completion");
        assertThat(completion.code()).isZero();
        assertThat(completion.out()).contains("complete -F", "ps:scale");
    }
}
