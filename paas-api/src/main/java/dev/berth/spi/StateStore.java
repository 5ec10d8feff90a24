package dev.berth.spi;

import dev.berth.api.InstanceRecord;
import dev.berth.api.StateStoreException;
import java.util.List;
import java.util.Map;

/**
 * Where the platform keeps desired state (apps) and its last known instance records, so that a
 * restarted platform carries on. Writes are per record: the platform writes what changed, one
 * record or one {@link StateChanges} batch at a time, never the whole state, so a write costs what
 * changed. Every write is atomic and durable when it returns: a crash at any moment leaves each
 * batch wholly applied or not at all. A store that cannot be read throws
 * {@link StateStoreException}; it never pretends to be empty. Implementations must be thread-safe.
 */
public interface StateStore extends AutoCloseable {

    /** Every app, by name. */
    Map<String, AppRecord> loadApps();

    /** Every instance record saved and not deleted. */
    List<InstanceRecord> loadInstances();

    /** Applies a batch atomically; durable when this returns. An empty batch writes nothing. */
    void write(StateChanges changes);

    /** Adds or replaces one app; durable when this returns. */
    default void saveApp(AppRecord app) {
        write(StateChanges.builder().saveApp(app).build());
    }

    /** Removes an app; no-op when absent. */
    default void deleteApp(String name) {
        write(StateChanges.builder().deleteApp(name).build());
    }

    /** Adds or replaces one instance record; durable when this returns. */
    default void saveInstance(InstanceRecord instance) {
        write(StateChanges.builder().saveInstance(instance).build());
    }

    /** Removes one instance record; no-op when absent. */
    default void deleteInstance(String id) {
        write(StateChanges.builder().deleteInstance(id).build());
    }

    /** Releases the store's resources; does nothing by default. */
    @Override
    default void close() {
    }
}
