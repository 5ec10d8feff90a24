// OS process helpers: identity against pid reuse, zombie-aware liveness, signalling process trees.
package dev.berth.backend.process;

import dev.berth.support.ExitCodes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * OS process helpers: identity (pid + start time, to guard against pid reuse), zombie-aware
 * liveness, and signalling whole process trees. Stateless and thread-safe.
 */
final class Procs {
    private static final Path PROC = Path.of("/proc");

    private Procs() {
    }

    /** The start time of a live process as the JDK reports it. */
    static Optional<Instant> startInstant(ProcessHandle handle) {
        return handle.info().startInstant();
    }

    /**
     * The raw start time in clock ticks since boot (field 22 of /proc/pid/stat), which, unlike
     * an instant derived from the boot time, is exactly the same whoever reads it.
     */
    static OptionalLong startTicks(long pid) {
        String[] fields = statFields(pid);
        if (fields == null || fields.length < 20) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(fields[19]));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Fields 3.. of /proc/pid/stat (state first), or null when unreadable. */
    private static String[] statFields(long pid) {
        Path stat = PROC.resolve(Long.toString(pid)).resolve("stat");
        try {
            String text = Files.readString(stat, StandardCharsets.ISO_8859_1);
            int close = text.lastIndexOf(')');
            if (close < 0) {
                return null;
            }
            return text.substring(close + 1).trim().split("\\s+");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Whether the process runs: exists and is not a zombie (an exited, unreaped process). */
    static boolean running(ProcessHandle handle) {
        if (!handle.isAlive()) {
            return false;
        }
        String[] fields = statFields(handle.pid());
        if (fields != null && fields.length > 0 && ("Z".equals(fields[0]) || "X".equals(fields[0]))) {
            return false;
        }
        return handle.isAlive();
    }

    /**
     * The live process with that pid if it is the one that started at that time: the raw ticks
     * must match when known, else the instants within a second.
     */
    static Optional<ProcessHandle> find(long pid, Instant startedAt, OptionalLong ticks) {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !running(handle.get())) {
            return Optional.empty();
        }
        if (ticks.isPresent()) {
            OptionalLong now = startTicks(pid);
            if (now.isPresent()) {
                return now.getAsLong() == ticks.getAsLong() ? handle : Optional.empty();
            }
        }
        Optional<Instant> start = startInstant(handle.get());
        if (start.isEmpty() || startedAt == null) {
            return handle; // cannot tell; the pid is alive
        }
        long diff = Math.abs(Duration.between(start.get(), startedAt).toMillis());
        return diff <= 1000 ? handle : Optional.empty();
    }

    /** The process and all its descendants, root first, as they are now. */
    static List<ProcessHandle> tree(ProcessHandle root) {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(root);
        root.descendants().forEach(all::add);
        return all;
    }

    /** Adds to {@code into} (by pid) the processes of the tree that are not there yet. */
    static void collect(ProcessHandle root, Map<Long, ProcessHandle> into) {
        for (ProcessHandle h : tree(root)) {
            into.putIfAbsent(h.pid(), h);
        }
    }

    static Map<Long, ProcessHandle> treeMap(ProcessHandle root) {
        Map<Long, ProcessHandle> map = new LinkedHashMap<>();
        collect(root, map);
        return map;
    }

    /**
     * The live processes of the session led (or once led) by {@code sid}, started no earlier than
     * {@code minTicks} when given: an instance runs under setsid, so its session holds every process
     * it spawned, even those reparented after their parent died. Empty where /proc is unavailable.
     */
    static List<ProcessHandle> session(long sid, OptionalLong minTicks) {
        List<ProcessHandle> members = new ArrayList<>();
        if (!Files.isDirectory(PROC)) {
            return members;
        }
        try (java.util.stream.Stream<Path> entries = Files.list(PROC)) {
            entries.map(p -> p.getFileName().toString()).filter(n -> !n.isEmpty() && n.chars().allMatch(Character::isDigit))
                    .forEach(n -> {
                        long pid = Long.parseLong(n);
                        String[] f = statFields(pid);
                        if (f == null || f.length < 20 || "Z".equals(f[0]) || "X".equals(f[0])) {
                            return;
                        }
                        try {
                            if (Long.parseLong(f[3]) != sid) {
                                return;
                            }
                            if (minTicks.isPresent() && Long.parseLong(f[19]) < minTicks.getAsLong()) {
                                return;
                            }
                        } catch (NumberFormatException e) {
                            return;
                        }
                        ProcessHandle.of(pid).ifPresent(members::add);
                    });
        } catch (IOException | RuntimeException e) {
            // best effort
        }
        return members;
    }

    /** Sends SIGTERM (or SIGKILL when {@code force}) to every process given. */
    static void signal(Iterable<ProcessHandle> processes, boolean force) {
        for (ProcessHandle h : processes) {
            try {
                if (force) {
                    h.destroyForcibly();
                } else {
                    h.destroy();
                }
            } catch (RuntimeException e) {
                // gone, or not ours to signal: nothing more to do for this one
            }
        }
    }

    /** Whether any of them still runs. */
    static boolean anyRunning(Iterable<ProcessHandle> processes) {
        for (ProcessHandle h : processes) {
            if (running(h)) {
                return true;
            }
        }
        return false;
    }

    /** Waits until none runs or the deadline passes; true when all are gone. Bounded by the deadline. */
    static boolean awaitGone(Iterable<ProcessHandle> processes, long deadlineNanos) {
        while (anyRunning(processes)) {
            if (System.nanoTime() - deadlineNanos >= 0) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !anyRunning(processes);
            }
        }
        return true;
    }

    /** A human-readable description of an exit status as the JDK reports it ({@link ExitCodes#describe}). */
    static String describe(int code) {
        return ExitCodes.describe(code);
    }
}
