// Hanging up a container terminal's program: its session's processes in this host's /proc, and signals to them.
package dev.berth.support.docker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the kernel does when a terminal hangs up, done by hand for a Docker exec (Docker does not
 * hang up a TTY exec whose client leaves): the exec's process leads a session of its own on its
 * terminal, so SIGHUP goes to every process of that session. The processes are read from this
 * host's {@code /proc}, and only those whose cgroup names the container count: an engine on
 * another host, or in another pid namespace, shows none. Stateless; thread-safe.
 */
final class Hangup {
    private static final Logger LOG = LoggerFactory.getLogger(Hangup.class);
    private static final Path PROC = Path.of("/proc");

    private Hangup() {
    }

    /**
     * The host pids of the session {@code leader} (the exec's host pid, as Docker reports it)
     * leads that are processes of container {@code containerId} (their cgroup names it), the
     * leader first while it lives; empty when there are none on this host (an engine elsewhere,
     * another pid namespace, or all ended).
     */
    static List<Long> session(long leader, String containerId) {
        if (leader <= 0 || containerId == null || containerId.isEmpty()) {
            return List.of();
        }
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path p : dir) {
                long pid = Long.parseLong(p.getFileName().toString());
                if (sessionOf(p) == leader && inContainer(p, containerId)) {
                    pids.add(pid == leader ? 0 : pids.size(), pid);
                }
            }
        } catch (IOException | SecurityException | NumberFormatException e) {
            LOG.debug("reading {} for session {}: {}", PROC, leader, e.toString());
        }
        return pids;
    }

    private static boolean inContainer(Path proc, String containerId) {
        try {
            return Files.readString(proc.resolve("cgroup"), StandardCharsets.UTF_8).contains(containerId);
        } catch (IOException | SecurityException e) {
            return false; // gone in the meantime, or not ours to read
        }
    }

    /** The session id in /proc/PID/stat (the fourth field after the command's closing parenthesis), or -1. */
    private static long sessionOf(Path proc) {
        try {
            String stat = Files.readString(proc.resolve("stat"), StandardCharsets.US_ASCII);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return f.length > 3 ? Long.parseLong(f[3]) : -1;
        } catch (IOException | RuntimeException e) {
            return -1; // gone in the meantime, or not ours to read
        }
    }

    /** The pid of host process {@code pid} in its own (the container's) pid namespace: the last NSpid, else itself. */
    static long containerPid(long pid) {
        try {
            for (String line : Files.readAllLines(PROC.resolve(Long.toString(pid)).resolve("status"))) {
                if (line.startsWith("NSpid:")) {
                    String[] f = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(f[f.length - 1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("reading the namespace pid of {}: {}", pid, e.toString());
        }
        return pid;
    }

    /** Sends SIG{@code signal} to host {@code pids} with kill(1); false when kill refused (not permitted). */
    static boolean kill(String signal, List<Long> pids) {
        List<String> argv = new ArrayList<>(List.of("kill", "-s", signal, "--"));
        pids.forEach(p -> argv.add(Long.toString(p)));
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            if (p.exitValue() != 0) {
                LOG.debug("kill -s {} {}: {}", signal, pids, out);
                return !out.contains("ermitted"); // gone in the meantime is done; not permitted is not
            }
            return true;
        } catch (IOException e) {
            LOG.debug("kill -s {} {}: {}", signal, pids, e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
