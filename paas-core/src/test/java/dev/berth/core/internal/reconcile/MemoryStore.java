package dev.berth.core.internal.reconcile;

import dev.berth.api.AppRecord;
import dev.berth.api.InstanceRecord;
import dev.berth.api.StateStore;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A state store in memory, for unit tests; survives "restarts" by being passed on. */
final class MemoryStore implements StateStore {
    final Map<String, AppRecord> apps = new TreeMap<>();
    volatile List<InstanceRecord> instances = List.of();

    @Override
    public synchronized Map<String, AppRecord> loadApps() {
        return new TreeMap<>(apps);
    }

    @Override
    public synchronized void saveApp(AppRecord app) {
        apps.put(app.name(), app);
    }

    @Override
    public synchronized void deleteApp(String name) {
        apps.remove(name);
    }

    @Override
    public List<InstanceRecord> loadInstances() {
        return instances;
    }

    @Override
    public void saveInstances(List<InstanceRecord> list) {
        instances = List.copyOf(list);
    }
}
