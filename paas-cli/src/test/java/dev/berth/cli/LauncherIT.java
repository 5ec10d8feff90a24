// The packaged launcher (target/berth/bin/berth) as people run it: BERTH_ADDR/BERTH_TOKEN, and logs -f across a respawn and a scale-up.
package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.contract.TerminalScreen;
import dev.berth.api.Instances;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import dev.berth.server.ControlServer;
import dev.berth.server.Tokens;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code paas-cli/target/berth/bin/berth}, the script and jars {@code mvn package} lays out, run as
 * a process with the server's address and token in the environment: following an instance's log
 * across its respawn, and an app's across a scale-up. Fails, never skips, when the launcher was
 * not built.
 */
class LauncherIT {
    private static final String TOKEN = "launcher-admin-token-0123456789";
    private static final Path LAUNCHER = Path.of("target/berth/bin/berth");

    @TempDir
    Path tmp;

    private Platform platform;
    private ControlServer server;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void start() {
        assertThat(LAUNCHER).as("mvn package lays out the launcher").isExecutable();
        platform = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(16).build()))
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .stateDir(tmp.resolve("state"))
                .build();
        server = ControlServer.builder().platform(platform).bind("127.0.0.1", 0).tokens(Tokens.admin(TOKEN)).build();
        platform.deploy(AppSpec.builder("web").command("sh", "-c", "echo started $BERTH_INSTANCE_ID; exec sleep 300")
                .instances(Instances.of(2)).build());
        await().atMost(Duration.ofSeconds(30)).until(() -> platform.instances("web").stream()
                .filter(i -> i.record().state().isLive()).count() == 2);
    }

    @AfterEach
    void stop() {
        processes.forEach(Process::destroyForcibly);
        server.close();
        platform.stopAll(Duration.ofSeconds(30));
        platform.close();
    }

    /** Starts the launcher with {@code args}, its output (both streams) going to {@code out}. */
    private Process berth(Path out, String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of(LAUNCHER.toString()));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("BERTH_ADDR", server.url());
        pb.environment().put("BERTH_TOKEN", TOKEN);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private String run(String... args) throws Exception {
        Path out = tmp.resolve("out-" + processes.size());
        Process p = berth(out, args);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("berth %s ended", List.of(args)).isTrue();
        String text = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(text).isZero();
        return text;
    }

    private static long count(Path file, String line) throws IOException {
        return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> l.equals(line)).count();
    }

    @Test
    void theEnvironmentPointsItAtTheServer() throws Exception {
        assertThat(run("apps")).contains("web").containsPattern("(HEALTHY|RUNNING) 2");
        assertThat(run("--version")).startsWith("berth 0.1.0");
    }

    @Test
    void logsOfAnInstanceFollowItAcrossItsRespawn() throws Exception {
        Path out = tmp.resolve("logs-web-1");
        berth(out, "logs", "web-1", "-f", "-n", "10");
        await().atMost(Duration.ofSeconds(30)).until(() -> count(out, "started web-1") == 1);

        assertThat(run("instances:kill", "web-1")).contains("kill asked");

        await().atMost(Duration.ofSeconds(30)).until(() -> count(out, "started web-1") == 2);
        assertThat(platform.instance("web-1").record().restarts()).isEqualTo(1);
    }

    @Test
    void logsOfAnAppPrefixEachLineAndPickUpInstancesThatStartLater() throws Exception {
        Path out = tmp.resolve("logs-web");
        berth(out, "logs", "web", "-f");
        await().atMost(Duration.ofSeconds(30)).until(() -> count(out, "web-1 | started web-1") == 1
                && count(out, "web-2 | started web-2") == 1);

        assertThat(run("ps:scale", "web", "3")).contains("app web runs 3 instance(s)");

        await().atMost(Duration.ofSeconds(30)).until(() -> count(out, "web-3 | started web-3") == 1);
    }

    /** The slave pseudo-terminal (/dev/pts/N) the launcher's JVM runs on, found under the outer script. */
    private static Path ttyOf(Process outerScript) throws IOException {
        for (ProcessHandle h : outerScript.descendants().toList()) {
            Path fd0 = Path.of("/proc/" + h.pid() + "/fd/0");
            if (h.info().command().orElse("").endsWith("java") && Files.exists(fd0)) {
                Path tty = Files.readSymbolicLink(fd0);
                if (tty.toString().startsWith("/dev/pts/")) {
                    return tty;
                }
            }
        }
        throw new AssertionError("berth runs on no pseudo-terminal under " + outerScript.pid());
    }

    @Test
    void aShellInAnInstanceGetsTheWindowSizeCtrlCAndGivesBackItsExitCode() throws Exception {
        Path out = tmp.resolve("shell");
        // A real terminal for berth: util-linux's script runs it on a pseudo-terminal of 90x33.
        ProcessBuilder pb = new ProcessBuilder("script", "-q", "-e", "-c",
                "stty cols 90 rows 33; exec " + LAUNCHER.toAbsolutePath() + " shell web-1", "/dev/null")
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("BERTH_ADDR", server.url());
        pb.environment().put("BERTH_TOKEN", TOKEN);
        Process shell = pb.start();
        processes.add(shell);
        java.io.OutputStream keys = shell.getOutputStream();
        java.util.function.Consumer<String> type = k -> {
            try {
                keys.write(k.getBytes(StandardCharsets.UTF_8));
                keys.flush();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        java.util.concurrent.Callable<String> screen = () -> Files.readString(out, StandardCharsets.ISO_8859_1);

        type.accept("stty size; pwd; echo hi-$((6 * 7))\r");
        await().atMost(Duration.ofSeconds(30)).until(() -> screen.call().contains("hi-42"));
        assertThat(screen.call()).contains("33 90").contains("/web/instances/web-1/work");

        Process resize = new ProcessBuilder("stty", "-F", ttyOf(shell).toString(), "cols", "120", "rows", "40").start();
        assertThat(resize.waitFor()).isZero(); // the kernel tells berth (SIGWINCH), berth tells the remote terminal
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).until(() -> {
            type.accept("stty size\r");
            return screen.call().contains("40 120");
        });

        type.accept("sleep 62; echo after-sleep\r");
        await().atMost(Duration.ofSeconds(10)).until(() -> TerminalScreen.inForeground("sleep 62")); // the remote sleep is in front
        type.accept("\u0003"); // Ctrl-C reaches the remote sleep, not berth
        type.accept("echo still-$((6 * 7))\r");
        await().atMost(Duration.ofSeconds(10)).until(() -> screen.call().contains("still-42"));
        assertThat(shell.isAlive()).as("Ctrl-C did not end berth").isTrue();

        type.accept("exit 5\r");
        assertThat(shell.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(shell.exitValue()).as("the remote shell's exit code, through berth and script").isEqualTo(5);
    }
}
