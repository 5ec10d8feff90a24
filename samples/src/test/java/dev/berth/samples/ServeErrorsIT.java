// Serve's refusals name its flags (never a Java builder option) and leave nothing behind on a fresh --state.
package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A taken --http-port (nginx and haproxy, found only when the router starts), a taken --git-port,
 * an unknown --cluster: each refusal says which flag to change, and a --state that did not exist,
 * parents included, still does not.
 */
class ServeErrorsIT {
    @TempDir
    Path tmp;

    private Path manifests() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("apps"));
        Files.writeString(dir.resolve("web.yml"), """
                apps:
                  web:
                    command: [sleep, '100']
                    env: {PORT: RANDOM_PORT}
                    routing: {domains: [web.test]}
                    clusters:
                      staging: {instances: 2}
                      prod: {instances: 3}
                """);
        return dir;
    }

    /** Runs a Serve that must be refused; returns what it said. */
    private String refused(Map<String, String> env, String... args) throws Exception {
        try (JavaMain serve = new JavaMain(env, tmp.resolve("serve.out"), Serve.class, args)) {
            assertThat(serve.process.waitFor(60, TimeUnit.SECONDS)).as("a refused Serve ends").isTrue();
            String said = String.join("\n", serve.lines());
            assertThat(serve.process.exitValue()).as(said).isEqualTo(2);
            assertThat(said).contains("Serve: nothing was changed.").doesNotContain("(...)");
            return said;
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nginx", "haproxy"})
    void aTakenHttpPortNamesTheFlagAndLeavesNoStateDir(String proxy) throws Exception {
        Path fresh = tmp.resolve("new/deeper/state");
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = taken.getLocalPort();
            String said = refused(Map.of(), "--manifests", manifests().toString(), "--state", fresh.toString(),
                    "--router", proxy, "--http-port", Integer.toString(port));
            assertThat(said).contains("--http-port: port " + port + " is in use")
                    .contains("choose a free port with --http-port").doesNotContain("httpPort");
        }
        assertThat(tmp.resolve("new")).as("no state dir, nor the parents this start made").doesNotExist();
    }

    @Test
    void aTakenGitPortNamesTheFlagAndLeavesNoStateDir() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            String said = refused(Map.of("MASTER_PASS", "shortfin"), "--manifests", manifests().toString(),
                    "--state", tmp.resolve("s").toString(), "--router", "none", "--git-port",
                    Integer.toString(taken.getLocalPort()));
            assertThat(said).contains("--git-port: port " + taken.getLocalPort()).contains("choose a free port");
        }
        assertThat(tmp.resolve("s")).doesNotExist();
    }

    @Test
    void anUnknownClusterListsTheKnownOnesAndLeavesNoStateDir() throws Exception {
        String said = refused(Map.of(), "--manifests", manifests().toString(), "--state", tmp.resolve("s").toString(),
                "--router", "none", "--cluster", "stagin");
        assertThat(said).contains("--cluster: 'stagin' is not allowed").contains("the clusters defined there are prod, staging");
        assertThat(tmp.resolve("s")).doesNotExist();
    }

    @Test
    void aTopLevelTypoBesideClusterVariantsIsPlacedInTheApp() throws Exception {
        Path dir = manifests();
        Files.writeString(dir.resolve("web.yml"), Files.readString(dir.resolve("web.yml"))
                .replace("    routing:", "    instance: 3\n    routing:"));
        String said = refused(Map.of(), "--manifests", dir.toString(), "--state", tmp.resolve("s").toString(),
                "--router", "none", "--cluster", "staging");
        assertThat(said).contains("web.yml line 5: app 'web': instance:").doesNotContain("in cluster")
                .contains("did you mean 'instances'?");
        assertThat(tmp.resolve("s")).doesNotExist();
    }

    @Test
    void theProcfileHabitOfABarePortIsRefusedWithTheFix() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("procfile"));
        Files.writeString(dir.resolve("web.yml"), """
                apps:
                  web:
                    command: [python3, -m, http.server, $PORT]
                    env: {PORT: RANDOM_PORT}
                """);
        String said = refused(Map.of(), "--manifests", dir.toString(), "--state", tmp.resolve("s").toString(),
                "--router", "none");
        assertThat(said).contains("command[3]: '$PORT' is not allowed").contains("write ${PORT}");
        assertThat(tmp.resolve("s")).doesNotExist();
    }

    @Test
    void aMakoCommitNeverPushedNamesTheFileAndMakosField() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("mako"));
        Files.writeString(dir.resolve("other.json"), """
                {"other": {"instances": 1, "opts": {"command": ["sleep", "100"], "commit": "deadbeefdeadbeef"}}}
                """);
        String said = refused(Map.of(), "--manifests", dir.toString(), "--state", tmp.resolve("s").toString(),
                "--router", "none");
        assertThat(said).contains(dir.resolve("other.json") + ": app 'other': opts.commit: 'deadbeefdeadbeef' is not allowed")
                .doesNotContain("source.git");
        assertThat(tmp.resolve("s")).doesNotExist();
    }

    @Test
    void aCrashLoopShowsTheLastLinesOfTheInstancesOutputOnceWithSecretsMasked() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("crash"));
        Files.writeString(dir.resolve("crash.yml"), """
                apps:
                  crash:
                    command: [python3, -c, "import os, sys; print('config missing for', os.environ['TOKEN'], file=sys.stderr); sys.exit(3)"]
                    env: {TOKEN: s3cr3t-value}
                """);
        try (JavaMain serve = new JavaMain(Map.of(), tmp.resolve("crash.out"), Serve.class, "--manifests", dir.toString(),
                "--state", tmp.resolve("crash-state").toString(), "--router", "none", "--stop-on-exit")) {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> serve.count("crash-1: exited") >= 2);
            serve.terminate();
            String said = String.join("\n", serve.lines());
            assertThat(said).contains("last lines of crash-1's output:").contains("| config missing for ***")
                    .contains("(its output ends as after its last exit)").doesNotContain("s3cr3t-value");
            assertThat(serve.count("last lines of crash-1's output:")).as("the same lines are shown once").isOne();
        }
    }
}
