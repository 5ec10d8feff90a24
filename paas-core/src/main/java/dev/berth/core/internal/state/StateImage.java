// Owns the in-memory copy of the whole state: apps by name and instance records by id.
package dev.berth.core.internal.state;

import dev.berth.spi.AppRecord;
import dev.berth.api.InstanceRecord;
import dev.berth.spi.StateChanges;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The whole state in memory, as the files on disk hold it. Instance records keep the order they
 * were first saved in. Not thread-safe: its owner ({@link FileStateStore}) guards it.
 */
final class StateImage {
    private final Map<String, AppRecord> apps = new TreeMap<>();
    private final Map<String, InstanceRecord> instances = new LinkedHashMap<>();

    /** An image holding {@code apps} and {@code instances}. */
    static StateImage of(Collection<AppRecord> apps, Collection<InstanceRecord> instances) {
        StateImage image = new StateImage();
        apps.forEach(a -> image.apps.put(a.name(), a));
        instances.forEach(r -> image.instances.put(r.id(), r));
        return image;
    }

    /** Applies a batch: saves first, then deletions, as every version of the store has. */
    void apply(StateChanges changes) {
        changes.savedApps().forEach(a -> apps.put(a.name(), a));
        changes.deletedApps().forEach(apps::remove);
        changes.savedInstances().forEach(r -> instances.put(r.id(), r));
        changes.deletedInstances().forEach(instances::remove);
    }

    /** A copy of the apps, by name. */
    Map<String, AppRecord> apps() {
        return new TreeMap<>(apps);
    }

    /** A copy of the instance records. */
    List<InstanceRecord> instances() {
        return List.copyOf(instances.values());
    }

    /** The whole state as a snapshot of {@code generation}. */
    byte[] snapshot(int generation) {
        return StateWriter.snapshot(generation, apps.values(), instances.values());
    }
}
