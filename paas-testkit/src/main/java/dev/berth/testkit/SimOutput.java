// The output lines of simulated instances, kept per instance id, and their followers.
package dev.berth.testkit;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What simulated instances "printed": the last {@link #KEPT} lines per instance id (kept after the
 * instance ends, as a real output file is) and the consumers following each. Only instances that
 * printed cost memory. Thread-safe: each instance's lines are guarded by their deque.
 */
final class SimOutput {
    /** Lines kept per instance. */
    static final int KEPT = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(SimOutput.class);

    private final Map<String, ArrayDeque<String>> lines = new ConcurrentHashMap<>();
    private final Map<String, List<Consumer<String>>> followers = new ConcurrentHashMap<>();

    /** Appends a line to the instance's output and hands it to its followers, on the caller's thread. */
    void print(String instanceId, String line) {
        ArrayDeque<String> kept = lines.computeIfAbsent(instanceId, id -> new ArrayDeque<>());
        synchronized (kept) {
            if (kept.size() == KEPT) {
                kept.removeFirst();
            }
            kept.addLast(line);
        }
        for (Consumer<String> c : followers.getOrDefault(instanceId, List.of())) {
            try {
                c.accept(line);
            } catch (RuntimeException e) {
                LOG.warn("instance '{}': a follower of its output failed: {}", instanceId, e.toString(), e);
            }
        }
    }

    /** The last {@code n} lines of the instance's output, oldest first; empty when it printed nothing. */
    List<String> tail(String instanceId, int n) {
        ArrayDeque<String> kept = lines.get(instanceId);
        if (kept == null || n == 0) {
            return List.of();
        }
        synchronized (kept) {
            List<String> all = new ArrayList<>(kept);
            return List.copyOf(all.subList(Math.max(0, all.size() - n), all.size()));
        }
    }

    /** Hands every later line of the instance to {@code consumer} until the returned handle is closed. */
    AutoCloseable follow(String instanceId, Consumer<String> consumer) {
        followers.computeIfAbsent(instanceId, id -> new CopyOnWriteArrayList<>()).add(consumer);
        return () -> followers.computeIfPresent(instanceId, (id, list) -> {
            list.remove(consumer);
            return list.isEmpty() ? null : list;
        });
    }
}
