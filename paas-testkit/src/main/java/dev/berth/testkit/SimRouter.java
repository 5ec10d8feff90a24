// A router in memory: tables are taken at once and remembered; for tests and benchmarks of the loop with routing.
package dev.berth.testkit;

import dev.berth.spi.Router;
import dev.berth.api.RoutingTable;
import dev.berth.api.Traffic;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link Router} that applies every table at once, in memory: no proxy, no I/O. It counts the
 * tables and keeps the last one, so a test can see what the platform routes, and a benchmark
 * (ScaleBench's {@code --router}) measures the control loop's own routing work. Reports no traffic.
 * Thread-safe.
 */
public final class SimRouter implements Router {
    private volatile RoutingTable last = RoutingTable.empty();
    private long applied;

    @Override
    public void apply(RoutingTable table) {
        Objects.requireNonNull(table, "table").check();
        synchronized (this) {
            applied++;
        }
        last = table;
    }

    /** The last table applied (empty before the first). */
    public RoutingTable last() {
        return last;
    }

    /** How many tables were applied. */
    public synchronized long applied() {
        return applied;
    }

    @Override
    public Map<String, Traffic> traffic() {
        return Map.of();
    }

    @Override
    public void close() {
        // nothing to release
    }
}
