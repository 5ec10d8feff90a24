// What readers of the control loop see: apps and instance records as of the loop's last task, immutable.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import dev.berth.api.InstanceRecord;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The loop's state as readers see it, as of the end of one of its tasks. Immutable. Each new view
 * is derived from the last one and the records that changed ({@link #with}), sharing everything
 * else, so that publishing one costs what changed, not the platform's size. Lists come in id order.
 */
public final class View {
    private static final Comparator<InstanceRecord> BY_ID = Comparator.comparing(InstanceRecord::id);
    static final View EMPTY = new View(Shards.empty(), Shards.empty(), 0, Set.of());

    private final Shards<AppRecord> apps;
    private final Shards<Shards<InstanceRecord>> instancesByApp;
    private final int instanceCount;
    private final Set<String> downNodes;
    private volatile List<InstanceRecord> all; // built on first read

    private View(Shards<AppRecord> apps, Shards<Shards<InstanceRecord>> instancesByApp, int instanceCount,
                 Set<String> downNodes) {
        this.apps = apps;
        this.instancesByApp = instancesByApp;
        this.instanceCount = instanceCount;
        this.downNodes = downNodes;
    }

    /** The nodes the loop holds down (unheard of for longer than {@code nodeDownAfter}); unmodifiable. */
    public Set<String> downNodes() {
        return downNodes;
    }

    /** This view with {@code down} as the nodes that are down (itself when they are the same). */
    View withDownNodes(Set<String> down) {
        return down.equals(downNodes) ? this : new View(apps, instancesByApp, instanceCount, Set.copyOf(down));
    }

    /** Every app, by name (unmodifiable; iteration order unspecified). */
    public Map<String, AppRecord> apps() {
        return apps;
    }

    /** Every instance record, in id order. */
    public List<InstanceRecord> instances() {
        List<InstanceRecord> out = all;
        if (out == null) {
            List<InstanceRecord> list = new java.util.ArrayList<>(instanceCount);
            for (Shards<InstanceRecord> ofApp : instancesByApp.values()) {
                list.addAll(ofApp.values());
            }
            list.sort(BY_ID);
            out = List.copyOf(list);
            all = out;
        }
        return out;
    }

    /** The instance records of one app, in id order (empty for an unknown app). */
    public List<InstanceRecord> instancesOf(String app) {
        Shards<InstanceRecord> ofApp = instancesByApp.get(app);
        if (ofApp == null) {
            return List.of();
        }
        List<InstanceRecord> out = ofApp.valueList();
        out.sort(BY_ID);
        return List.copyOf(out);
    }

    /** The instance record of that id, if {@code app} has one. */
    public Optional<InstanceRecord> instance(String app, String id) {
        Shards<InstanceRecord> ofApp = instancesByApp.get(app);
        return Optional.ofNullable(ofApp == null ? null : ofApp.get(id));
    }

    /** How many instance records there are. */
    public int instanceCount() {
        return instanceCount;
    }

    /**
     * This view with apps and instance records changed: a null app removes it; instance changes are
     * by app, then id, a null record removing that id.
     */
    View with(Map<String, AppRecord> appChanges, Map<String, Map<String, InstanceRecord>> instanceChanges) {
        if (appChanges.isEmpty() && instanceChanges.isEmpty()) {
            return this;
        }
        int count = instanceCount;
        Map<String, Shards<InstanceRecord>> byApp = new HashMap<>();
        for (Map.Entry<String, Map<String, InstanceRecord>> e : instanceChanges.entrySet()) {
            Shards<InstanceRecord> before = instancesByApp.getOrDefault(e.getKey(), Shards.empty());
            Shards<InstanceRecord> after = before.with(e.getValue());
            count += after.size() - before.size();
            byApp.put(e.getKey(), after.isEmpty() ? null : after);
        }
        return new View(apps.with(appChanges), instancesByApp.with(byApp), count, downNodes);
    }
}
