// Kills what a test saw running (instances, proxy masters) so that nothing writes into its temporary folder after it.
package dev.berth.samples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The pids a test saw (instances, proxy masters), killed after it whatever happened. An instance of
 * the process backend runs under a wrapper shell that records its exit code in the instance's folder
 * when it ends; killing the instance alone lets that write race JUnit's deletion of the temporary
 * folder ("Failed to close extension context"). So the wrapper is killed first (SIGKILL: it records
 * nothing), then the process (a proxy master before its workers, which it would respawn), then its
 * descendants, and the kill waits until every one of them is gone.
 */
final class SeenProcesses {
    private final List<Long> pids = new CopyOnWriteArrayList<>();

    /** Remembers pids given as decimal strings (as {@link JavaMain#all} finds them). */
    void addAll(Collection<String> decimal) {
        decimal.forEach(this::add);
    }

    void add(String decimal) {
        pids.add(Long.parseLong(decimal));
    }

    void add(long pid) {
        pids.add(pid);
    }

    /** Kills every remembered process as the class comment says, waiting up to 10 s for each. */
    void killAll() throws InterruptedException {
        List<ProcessHandle> killed = new ArrayList<>();
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(h -> {
                List<ProcessHandle> descendants = h.descendants().toList();
                h.parent().filter(SeenProcesses::isWrapper).ifPresent(w -> kill(w, killed));
                kill(h, killed);
                descendants.forEach(d -> kill(d, killed));
            });
        }
        for (ProcessHandle h : killed) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new AssertionError("pid " + h.pid() + " did not end within 10 s of SIGKILL", e);
            }
        }
    }

    private static void kill(ProcessHandle h, List<ProcessHandle> killed) {
        h.destroyForcibly();
        killed.add(h);
    }

    /** The process backend's wrapper: {@code /bin/sh -c WRAPPER berth-<id> DIR ...}. */
    private static boolean isWrapper(ProcessHandle h) {
        try {
            String[] argv = new String(Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline")),
                    StandardCharsets.UTF_8).split("\0");
            return argv.length > 3 && argv[0].endsWith("sh") && argv[1].equals("-c") && argv[3].startsWith("berth-");
        } catch (IOException e) {
            return false; // gone already
        }
    }
}
