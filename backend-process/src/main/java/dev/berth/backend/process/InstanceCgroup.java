// The cgroup of one instance: its limits, its processes, killing all of them, removing it once empty.
package dev.berth.backend.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cgroup of one instance: one directory on cgroup v2, one per controller hierarchy on v1.
 * Knows its processes, signals or kills all of them (a double-forked child included) and removes
 * itself once empty. Immutable; its methods are thread-safe.
 *
 * @param v2   whether it is a cgroup v2 directory (else v1, one directory per controller)
 * @param dirs its directories, absolute
 */
record InstanceCgroup(boolean v2, List<Path> dirs) {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceCgroup.class);

    InstanceCgroup {
        dirs = List.copyOf(dirs);
        for (Path d : dirs) {
            if (!d.isAbsolute() || !d.normalize().equals(d)) {
                throw new IllegalArgumentException("cgroup directory '" + d + "' is not allowed: must be absolute and normal");
            }
        }
    }

    /** The {@code cgroup.procs} files a process writes its pid into to join. */
    List<Path> procsFiles() {
        return dirs.stream().map(d -> d.resolve("cgroup.procs")).toList();
    }

    /** The pids in it now (empty when it is gone). */
    Set<Long> pids() {
        Set<Long> pids = new LinkedHashSet<>();
        for (Path procs : procsFiles()) {
            try {
                for (String line : Files.readAllLines(procs, StandardCharsets.US_ASCII)) {
                    if (!line.isBlank()) {
                        pids.add(Long.parseLong(line.trim()));
                    }
                }
            } catch (NoSuchFileException e) {
                // removed already
            } catch (IOException | NumberFormatException e) {
                LOG.debug("cannot read {}: {}", procs, e.toString());
            }
        }
        return pids;
    }

    /** The live processes in it now. */
    List<ProcessHandle> processes() {
        List<ProcessHandle> list = new ArrayList<>();
        for (long pid : pids()) {
            ProcessHandle.of(pid).ifPresent(list::add);
        }
        return list;
    }

    /** SIGTERM (or SIGKILL when {@code force}) to every process in it; v2's {@code cgroup.kill} for SIGKILL when present. */
    void signal(boolean force) {
        if (force && v2) {
            Path kill = dirs.get(0).resolve("cgroup.kill");
            if (Files.exists(kill)) {
                try {
                    Files.writeString(kill, "1");
                    return;
                } catch (IOException e) {
                    LOG.debug("cannot write {}: {}", kill, e.toString());
                }
            }
        }
        Procs.signal(processes(), force);
    }

    /**
     * Kills everything in it until it is empty or the deadline passes (a process forking while
     * it is killed is caught in a later round); true when empty. Bounded by the deadline.
     */
    boolean killAll(long deadlineNanos) {
        while (true) {
            if (pids().isEmpty()) {
                return true;
            }
            signal(true);
            if (System.nanoTime() - deadlineNanos >= 0) {
                return pids().isEmpty();
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return pids().isEmpty();
            }
        }
    }

    /** Removes its directories (rmdir: only an empty cgroup goes); logs what stays. Idempotent. */
    void remove() {
        for (Path d : dirs) {
            for (int attempt = 0; ; attempt++) {
                try {
                    Files.deleteIfExists(d);
                    break;
                } catch (IOException e) {
                    if (attempt >= 20) {
                        LOG.warn("cannot remove cgroup {}: {}", d, e.toString());
                        break;
                    }
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
    }

    /** As instance.properties stores it: "v1|dir|dir..." or "v2|dir". */
    String toProperty() {
        return (v2 ? "v2" : "v1") + "|" + String.join("|", dirs.stream().map(Path::toString).toList());
    }

    /** Parses {@link #toProperty()}. */
    static InstanceCgroup parse(String text) {
        String[] parts = text.split("\\|");
        if (parts.length < 2 || !(parts[0].equals("v1") || parts[0].equals("v2"))) {
            throw new IllegalArgumentException("cgroup '" + text + "' is not allowed: must be v1|dir... or v2|dir");
        }
        List<Path> dirs = new ArrayList<>();
        for (int i = 1; i < parts.length; i++) {
            dirs.add(Path.of(parts[i]));
        }
        return new InstanceCgroup(parts[0].equals("v2"), dirs);
    }
}
