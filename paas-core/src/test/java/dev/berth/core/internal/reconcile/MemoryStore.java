package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import dev.berth.api.InstanceRecord;
import dev.berth.spi.StateChanges;
import dev.berth.spi.StateStore;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A state store in memory, for unit tests; survives "restarts" by being passed on. */
class MemoryStore implements StateStore {
    final Map<String, AppRecord> apps = new TreeMap<>();
    final Map<String, InstanceRecord> instances = new java.util.LinkedHashMap<>();
    volatile int writes;

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
        writes++;
    }
}
