// The ports a backend handed out lately: not handed out again until the instance had time to bind them.
package dev.berth.support;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * A ledger of ports handed out recently (on one host): a port chosen for a new instance is free
 * when chosen but bound only once the instance starts listening, so for a while ({@code memory},
 * a minute by default) it is not handed out again, however free it looks. Entries older than that
 * are forgotten on each look, so the ledger holds at most one minute's ports. Not thread-safe:
 * the backend's port lock guards it.
 */
public final class RecentPorts {
    /** How long a port is kept by default. */
    public static final Duration DEFAULT_MEMORY = Duration.ofSeconds(60);

    private final long memoryNanos;
    private final LongSupplier nanoTime;
    private final Map<Integer, Long> handedOut = new HashMap<>();

    /** A ledger that keeps ports for {@link #DEFAULT_MEMORY}. */
    public RecentPorts() {
        this(DEFAULT_MEMORY, System::nanoTime);
    }

    /** A ledger that keeps ports for {@code memory} on the clock {@code nanoTime} (tests move it). */
    public RecentPorts(Duration memory, LongSupplier nanoTime) {
        if (memory.isNegative() || memory.isZero()) {
            throw new IllegalArgumentException("memory " + memory + " is not allowed: must be positive");
        }
        this.memoryNanos = memory.toNanos();
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /** The ports handed out within the memory (older ones are forgotten now). */
    public Set<Integer> recent() {
        long now = nanoTime.getAsLong();
        handedOut.values().removeIf(at -> now - at > memoryNanos);
        return Set.copyOf(handedOut.keySet());
    }

    /** Notes that {@code port} was handed out now. */
    public void handedOut(int port) {
        handedOut.put(port, nanoTime.getAsLong());
    }
}
