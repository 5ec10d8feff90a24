package dev.berth.api;

import java.util.List;
import java.util.Map;

/**
 * Where the platform keeps desired state (apps) and its last known instance records, so that a
 * restarted platform carries on. Writes are atomic: a crash at any moment leaves either the old or
 * the new content. A store that cannot be read throws {@link StateStoreException}; it never
 * pretends to be empty. Implementations must be thread-safe.
 */
public interface StateStore extends AutoCloseable {

    /** Every app, by name. */
    Map<String, AppRecord> loadApps();

    /** Adds or replaces one app; durable when this returns. */
    void saveApp(AppRecord app);

    /** Removes an app; no-op when absent. */
    void deleteApp(String name);

    /** The last saved instance records. */
    List<InstanceRecord> loadInstances();

    /** Replaces all instance records; durable when this returns. */
    void saveInstances(List<InstanceRecord> instances);

    @Override
    default void close() {
    }
}
