// The control loop's tracked instances by id, with indexes by app and by node kept in step on every change.
package dev.berth.core.internal.reconcile;

import dev.berth.api.InstanceRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every instance the loop tracks, by id, and the same instances by app and by node, so that a
 * look-up of one app's (or one node's) instances costs that app's (node's) instances, not the
 * whole platform's. Every change of the set goes through {@link #put} and {@link #remove}, which
 * keep the three maps equal; iteration is in id order everywhere, as the loop has always seen it.
 *
 * <p>The app and node of a {@link Tracked} never change while it is indexed (the loop replaces
 * its record only with copies of the same id, app and node), except through {@link #moved},
 * which re-indexes it; {@link #put} of a {@code Tracked}
 * whose id is already indexed replaces the old one in every index. Not thread-safe: touched only
 * by the loop thread.
 */
final class InstanceIndex {
    private final NavigableMap<String, Tracked> byId = new TreeMap<>();
    private final Map<String, NavigableMap<String, Tracked>> byApp = new HashMap<>();
    private final Map<String, NavigableMap<String, Tracked>> byNode = new HashMap<>();
    /** Where every change of a record is told (see {@link Changes}). */
    final Changes changes = new Changes();

    /** The instance of that id, or null. */
    Tracked get(String id) {
        return byId.get(id);
    }

    /** Whether {@code t} itself (not only an instance of its id) is still tracked. */
    boolean holds(Tracked t) {
        return byId.get(t.id()) == t;
    }

    /** Tracks {@code t}, replacing whatever was tracked under its id. */
    void put(Tracked t) {
        remove(t.id());
        byId.put(t.id(), t);
        t.indexedBy(this);
        changed(t.record());
        byApp.computeIfAbsent(t.record().app(), k -> new TreeMap<>()).put(t.id(), t);
        byNode.computeIfAbsent(t.record().node(), k -> new TreeMap<>()).put(t.id(), t);
    }

    /**
     * Replaces {@code t}'s record with {@code next} of another node, keeping every index in step:
     * the one way a tracked instance changes node (a backend whose engine placed it elsewhere
     * than asked, or moved it).
     */
    void moved(Tracked t, InstanceRecord next) {
        remove(t.id());
        t.update(next);
        put(t);
    }

    /** Stops tracking the instance of that id; returns it, or null if none was tracked. */
    Tracked remove(String id) {
        Tracked t = byId.remove(id);
        if (t != null) {
            t.indexedBy(null);
            changed(t.record());
            unlink(byApp, t.record().app(), id);
            unlink(byNode, t.record().node(), id);
        }
        return t;
    }

    private static void unlink(Map<String, NavigableMap<String, Tracked>> index, String key, String id) {
        NavigableMap<String, Tracked> group = index.get(key);
        if (group != null) {
            group.remove(id);
            if (group.isEmpty()) {
                index.remove(key);
            }
        }
    }

    /** Called by a tracked instance whose record was replaced (and by put and remove). */
    void changed(InstanceRecord r) {
        changes.instance(r);
    }

    /** An app's record was put, replaced or removed: its route, and the nodes its instances are on, changed too. */
    void appChanged(String app) {
        NavigableMap<String, Tracked> group = byApp.get(app);
        List<String> nodes = new ArrayList<>();
        if (group != null) {
            group.values().forEach(t -> nodes.add(t.record().node()));
        }
        changes.app(app, nodes);
    }

    /** Every tracked instance in id order: a read-only live view, not to be iterated across a change. */
    Collection<Tracked> all() {
        return Collections.unmodifiableCollection(byId.values());
    }

    /** Every tracked instance in id order, copied: safe to iterate while instances come and go. */
    List<Tracked> copy() {
        return new ArrayList<>(byId.values());
    }

    /** The instances of {@code app} in id order, copied (safe to iterate while instances come and go). */
    List<Tracked> ofApp(String app) {
        return copyOf(byApp.get(app));
    }

    /** The instances placed on {@code node} in id order, copied (safe to iterate while instances come and go). */
    List<Tracked> onNode(String node) {
        return copyOf(byNode.get(node));
    }

    /** The apps that have tracked instances (a live view). */
    Set<String> appNames() {
        return Collections.unmodifiableSet(byApp.keySet());
    }

    /** How many instances are tracked. */
    int size() {
        return byId.size();
    }

    private static List<Tracked> copyOf(NavigableMap<String, Tracked> group) {
        return group == null ? new ArrayList<>() : new ArrayList<>(group.values());
    }
}
