package dev.berth.samples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Watches /proc for the live processes of one test's instances (those whose environment holds
 * {@code MARKER=token}) and groups them by {@code BERTH_INSTANCE_ID} and session: the process
 * backend runs each start of an instance in a session of its own, led by its wrapper shell, so two
 * sessions with app processes for one id at one moment mean the id runs twice. The wrapper (the
 * session leader) and {@code setsid} (before it has made the session) are not app processes.
 * Sampling every {@code period}, bounded by {@code maxDuration}.
 */
final class InstanceSessions implements AutoCloseable {
    /** The environment variable that marks a test's instances. */
    static final String MARKER = "BERTH_TEST_RUN";

    /** One live process of an instance. */
    record Proc(long pid, long session, String comm, String instance, String port) {
    }

    private final String token;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong samples = new AtomicLong();
    private final List<String> twice = new CopyOnWriteArrayList<>();
    private final Thread thread;

    private InstanceSessions(String token, Duration period, Duration maxDuration) {
        this.token = token;
        long deadline = System.nanoTime() + maxDuration.toNanos();
        thread = new Thread(() -> {
            while (!stop.get() && System.nanoTime() < deadline) {
                Map<String, Set<Long>> now = sessionsById(scan(token));
                samples.incrementAndGet();
                now.forEach((id, sessions) -> {
                    if (sessions.size() > 1 && twice.size() < 100) {
                        twice.add(id + " in sessions " + sessions);
                    }
                });
                try {
                    Thread.sleep(period.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "instance-sessions");
        thread.setDaemon(true);
    }

    /** Starts sampling the instances marked with {@code token}. */
    static InstanceSessions start(String token, Duration period, Duration maxDuration) {
        InstanceSessions s = new InstanceSessions(token, period, maxDuration);
        s.thread.start();
        return s;
    }

    /** Every moment an id ran in two sessions at once ("beep-4 in sessions [812, 990]"), at most 100. */
    List<String> ranTwice() {
        return List.copyOf(twice);
    }

    long samples() {
        return samples.get();
    }

    /** The live processes marked with {@code token}, now. */
    static List<Proc> scan(String token) {
        byte[] needle = (MARKER + "=" + token + "\0").getBytes(StandardCharsets.UTF_8);
        List<Proc> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), p -> isPid(p.getFileName().toString()))) {
            for (Path dir : dirs) {
                Proc p = read(dir, needle);
                if (p != null) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    /** The app processes' sessions of each instance id (leaders and setsid left out). */
    static Map<String, Set<Long>> sessionsById(List<Proc> procs) {
        Map<String, Set<Long>> out = new TreeMap<>();
        for (Proc p : procs) {
            if (p.pid() != p.session() && !p.comm().equals("setsid")) {
                out.computeIfAbsent(p.instance(), k -> new TreeSet<>()).add(p.session());
            }
        }
        return out;
    }

    private static boolean isPid(String name) {
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
    }

    /** The process of {@code dir} when its environment holds {@code needle}; null otherwise or once gone. */
    private static Proc read(Path dir, byte[] needle) {
        try {
            byte[] env = Files.readAllBytes(dir.resolve("environ"));
            if (indexOf(env, needle) < 0) {
                return null;
            }
            Map<String, String> vars = new HashMap<>();
            for (String kv : new String(env, StandardCharsets.UTF_8).split("\0")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    vars.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            String stat = Files.readString(dir.resolve("stat"));
            int close = stat.lastIndexOf(')');
            String comm = stat.substring(stat.indexOf('(') + 1, close);
            String[] f = stat.substring(close + 2).split(" ");
            if (f[0].equals("Z") || f[0].equals("X")) {
                return null;
            }
            // after the name: state ppid pgrp session ...
            return new Proc(Long.parseLong(dir.getFileName().toString()), Long.parseLong(f[3]), comm,
                    vars.getOrDefault("BERTH_INSTANCE_ID", "?"), vars.get("PORT"));
        } catch (IOException | RuntimeException e) {
            return null; // gone meanwhile
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        thread.join(10_000);
    }
}
