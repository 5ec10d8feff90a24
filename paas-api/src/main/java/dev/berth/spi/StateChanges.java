package dev.berth.spi;

import dev.berth.api.InstanceRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One batch of record writes for a {@link StateStore}: apps and instances saved or deleted, each
 * key at most once (a later change to the same key in a {@link Builder} replaces the earlier one).
 * A store applies a batch atomically: after a crash it holds all of it or none of it.
 *
 * @param savedApps        apps added or replaced
 * @param deletedApps      names of apps removed
 * @param savedInstances   instance records added or replaced
 * @param deletedInstances ids of instance records removed
 */
public record StateChanges(List<AppRecord> savedApps, List<String> deletedApps, List<InstanceRecord> savedInstances,
                           List<String> deletedInstances) {

    /** Copies the lists; null elements are refused. */
    public StateChanges {
        savedApps = List.copyOf(savedApps);
        deletedApps = List.copyOf(deletedApps);
        savedInstances = List.copyOf(savedInstances);
        deletedInstances = List.copyOf(deletedInstances);
    }

    /** Whether the batch changes nothing. */
    public boolean isEmpty() {
        return savedApps.isEmpty() && deletedApps.isEmpty() && savedInstances.isEmpty() && deletedInstances.isEmpty();
    }

    /** How many records the batch writes or deletes. */
    public int size() {
        return savedApps.size() + deletedApps.size() + savedInstances.size() + deletedInstances.size();
    }

    /** A new, empty builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects changes, keeping the last one per app name and per instance id. */
    public static final class Builder {
        private final Map<String, AppRecord> apps = new LinkedHashMap<>(); // null value: deleted
        private final Map<String, InstanceRecord> instances = new LinkedHashMap<>(); // null value: deleted

        private Builder() {
        }

        /** Adds or replaces an app. */
        public Builder saveApp(AppRecord app) {
            apps.put(Objects.requireNonNull(app, "app").name(), app);
            return this;
        }

        /** Removes an app. */
        public Builder deleteApp(String name) {
            apps.put(Objects.requireNonNull(name, "name"), null);
            return this;
        }

        /** Adds or replaces an instance record. */
        public Builder saveInstance(InstanceRecord instance) {
            instances.put(Objects.requireNonNull(instance, "instance").id(), instance);
            return this;
        }

        /** Removes an instance record. */
        public Builder deleteInstance(String id) {
            instances.put(Objects.requireNonNull(id, "id"), null);
            return this;
        }

        /** Whether nothing was added yet. */
        public boolean isEmpty() {
            return apps.isEmpty() && instances.isEmpty();
        }

        /** The batch collected so far. */
        public StateChanges build() {
            return new StateChanges(present(apps.values()), absent(apps), present(instances.values()), absent(instances));
        }

        private static <T> List<T> present(Collection<T> values) {
            List<T> out = new ArrayList<>();
            for (T v : values) {
                if (v != null) {
                    out.add(v);
                }
            }
            return out;
        }

        private static List<String> absent(Map<String, ?> byKey) {
            List<String> out = new ArrayList<>();
            byKey.forEach((k, v) -> {
                if (v == null) {
                    out.add(k);
                }
            });
            return out;
        }
    }
}
