package dev.berth.backend.docker;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The machine's real dockerd, for tests that stop and restart it: found by its process, stopped
 * with SIGTERM (as a service manager does), started again detached with the same or a longer
 * command line. Needs root, as dockerd does. Not thread-safe; one test class uses it at a time.
 */
final class Dockerd {
    private static final Duration UP = Duration.ofSeconds(60);

    private final List<String> argv;

    private Dockerd(List<String> argv) {
        this.argv = List.copyOf(argv);
    }

    /** The one running dockerd, with the command line it was started with. */
    static Dockerd running() throws IOException {
        long pid = pid();
        byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
        List<String> argv = new ArrayList<>();
        for (String a : new String(raw, StandardCharsets.UTF_8).split("\0")) {
            if (!a.isEmpty()) {
                argv.add(a);
            }
        }
        return new Dockerd(argv);
    }

    List<String> argv() {
        return argv;
    }

    /** Whether the command line names its own hosts ({@code -H}); if not, dockerd serves the default socket. */
    boolean namesHosts() {
        return argv.stream().anyMatch(a -> a.equals("-H") || a.startsWith("-H=") || a.startsWith("--host"));
    }

    /** Stops it with SIGTERM and waits until the process is gone. */
    static void stop() throws IOException {
        long pid = pid();
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        Kit.Result kill = Kit.run(List.of("kill", "-TERM", Long.toString(pid)));
        if (kill.code() != 0) {
            throw new AssertionError("cannot stop dockerd (pid " + pid + "); these tests run as root: " + kill.out());
        }
        await("dockerd " + pid + " to exit").atMost(UP).pollInterval(Duration.ofMillis(100)).until(() -> !daemon.isAlive());
    }

    /** Starts dockerd detached with {@code argv} (output to the usual log) and waits until it answers. */
    static Dockerd start(List<String> argv) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("setsid");
        cmd.addAll(argv);
        Path log = Path.of(System.getProperty("java.io.tmpdir"), "berth-dockerd.log");
        new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        await("dockerd to answer after a restart (log: " + log + ")").atMost(UP).pollInterval(Duration.ofMillis(200))
                .until(() -> Kit.docker("version", "--format", "{{.Server.Version}}").code() == 0);
        return new Dockerd(argv);
    }

    private static long pid() throws IOException {
        Kit.Result r = Kit.run(List.of("pgrep", "-x", "dockerd"));
        List<String> pids = r.out().lines().map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (pids.size() != 1) {
            throw new AssertionError("expected one running dockerd, found " + pids + " (scripts/test.sh starts it)");
        }
        return Long.parseLong(pids.get(0));
    }
}
