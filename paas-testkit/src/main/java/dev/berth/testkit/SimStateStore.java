// A state store in memory: every write applied at once, nothing on disk; for tests and benchmarks of the loop.
package dev.berth.testkit;

import dev.berth.spi.AppRecord;
import dev.berth.api.InstanceRecord;
import dev.berth.spi.StateChanges;
import dev.berth.spi.StateStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link StateStore} that keeps its records in memory: writes cost a map update, survive a
 * platform closed and built again on the same store (pass the same instance), and are gone with the
 * JVM. For tests of an embedding application, and for measuring the control loop without the disk
 * (ScaleBench's {@code --store memory}). Counts its writes. Thread-safe.
 */
public final class SimStateStore implements StateStore {
    private final Map<String, AppRecord> apps = new TreeMap<>();
    private final Map<String, InstanceRecord> instances = new LinkedHashMap<>();
    private long writes;
    private long records;

    @Override
    public synchronized Map<String, AppRecord> loadApps() {
        return new TreeMap<>(apps);
    }

    @Override
    public synchronized List<InstanceRecord> loadInstances() {
        return List.copyOf(instances.values());
    }

    @Override
    public synchronized void write(StateChanges changes) {
        changes.savedApps().forEach(a -> apps.put(a.name(), a));
        changes.deletedApps().forEach(apps::remove);
        changes.savedInstances().forEach(r -> instances.put(r.id(), r));
        changes.deletedInstances().forEach(instances::remove);
        if (!changes.isEmpty()) {
            writes++;
            records += changes.size();
        }
    }

    /** How many non-empty batches were written. */
    public synchronized long writes() {
        return writes;
    }

    /** How many records those batches saved or deleted in all. */
    public synchronized long recordsWritten() {
        return records;
    }
}
