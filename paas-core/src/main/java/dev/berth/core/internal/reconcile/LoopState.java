// The control loop's state, shared by its rooms and touched only by the loop thread: apps, tracked instances, marks.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.AppRecord;
import dev.berth.api.NotFoundException;
import dev.berth.api.PlatformEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the loop knows, in one place: desired state (apps), actual state (tracked instances,
 * indexed by app and node), which apps the next pass converges, the nodes that are down, and the
 * events of the running task. The rooms of the loop ({@link Actuator}, {@link Convergence},
 * {@link Rollouts}, {@link RoutingSync}, {@link NodeLoss}, {@link Commands}, {@link Recovery})
 * read and change it only on the loop thread. Not thread-safe.
 */
final class LoopState {
    /** How long the loop remembers when it forgot an instance (bounds the memory; reports are far fresher). */
    private static final Duration RETIRED_MEMORY = Duration.ofMinutes(10);

    final Wiring w;
    /** The ids of {@code w.nodes()}, looked up on every node report. */
    final Set<String> nodeIds;
    final Map<String, AppRecord> apps = new TreeMap<>();
    /** Every tracked instance, by id, app and node: every change of the set goes through it. */
    final InstanceIndex instances = new InstanceIndex();
    /** The apps the next pass converges: touched since the last one, or all after a resync or a node change. */
    final DirtyApps touched = new DirtyApps();
    /** The highest instance sequence number per app: new ids count on from it. */
    final Map<String, Integer> lastSeq = new HashMap<>();
    /** Why each app's last placement left instances unplaced, to report a reason once. */
    final Map<String, String> lastUnplaced = new HashMap<>();
    /** The nodes that are down (the node watch's read-only view): no instance is placed there. */
    final Set<String> downNodes;
    /** Each node's state as the scheduler sees it, rebuilt only for nodes whose instances changed. */
    final NodeStates nodeStates = new NodeStates();
    /** Respawns and rollout deadlines by due time. */
    final DueTimes due = new DueTimes();
    /** The scheduler's calls of the passes, and the router's applies: read by any thread ({@link Reconciler#stats}). */
    final Timings placements = new Timings();
    final Timings routerApplies = new Timings();
    /** Events of the running task, published once the view shows their effect. */
    final List<PlatformEvent> outbox = new ArrayList<>();
    /**
     * Instances the loop stopped or saw end and then forgot, and when: a node's report taken
     * before that may still list one, which is then not stale. A report taken after it that still
     * lists it means the stop failed: that one is stale.
     */
    final LinkedHashMap<String, Instant> retired = new LinkedHashMap<>(); // oldest first

    LoopState(Wiring w, Set<String> nodeIds, Set<String> downNodes) {
        this.w = w;
        this.nodeIds = nodeIds;
        this.downNodes = downNodes;
    }

    Instant now() {
        return w.clock().instant();
    }

    void emit(PlatformEvent e) {
        outbox.add(e);
    }

    /**
     * Replaces an app's record: the next pass converges it, the next publication saves it (a
     * command's caller waits for that save), and the view, scheduler and router see the change
     * ({@link Changes}).
     */
    void putApp(AppRecord rec) {
        apps.put(rec.name(), rec);
        instances.appChanged(rec.name());
        due.rollout(rec);
        touched.mark(rec.name());
    }

    /**
     * Everything may have changed (a resync, a node going down or coming back, the start): the next
     * pass converges every app and the scheduler's view of every node is rebuilt.
     */
    void markAll() {
        touched.markAll();
        nodeStates.markAll();
        instances.changes.routeAll();
    }

    /** Forgets an app: the next pass retires its instances, and the next publication deletes its record. */
    void removeApp(String name) {
        apps.remove(name);
        instances.appChanged(name);
        touched.mark(name);
    }

    /** The app of that name; throws {@link NotFoundException} naming the apps there are. */
    AppRecord app(String name) {
        AppRecord rec = apps.get(name);
        if (rec == null) {
            throw new NotFoundException("no app named '" + name + "' (apps: " + apps.keySet() + ")");
        }
        return rec;
    }

    /** The tracked instance of that id; throws {@link NotFoundException}. */
    Tracked instance(String id) {
        Tracked t = instances.get(id);
        if (t == null) {
            throw new NotFoundException("no instance '" + id + "'");
        }
        return t;
    }

    boolean knownNode(String node) {
        return nodeIds.contains(node);
    }

    /** Drops an instance that is stopped or gone for good, remembering when (see {@link #retired}). */
    void forget(Tracked t, Instant now) {
        instances.remove(t.id());
        touched.mark(t.record().app());
        Instant horizon = now.minus(RETIRED_MEMORY);
        for (var oldest = retired.values().iterator(); oldest.hasNext() && oldest.next().isBefore(horizon); ) {
            oldest.remove();
        }
        retired.remove(t.id());
        retired.put(t.id(), now);
    }

    /** Counts on from an adopted or reloaded instance's sequence number, so ids are never reused. */
    void noteId(String id) {
        int dash = id.lastIndexOf('-');
        if (dash > 0) {
            try {
                int seq = Integer.parseInt(id.substring(dash + 1));
                lastSeq.merge(id.substring(0, dash), seq, Math::max);
            } catch (NumberFormatException ignored) {
                // not one of ours; ids are only compared for equality
            }
        }
    }

    /** The next id of an instance of {@code app}. */
    String nextId(String app) {
        return app + "-" + lastSeq.merge(app, 1, Integer::sum);
    }

    /** How many nodes can take an instance of an app with that spec now. */
    int eligibleNodes(dev.berth.api.AppSpec spec) {
        return (int) w.nodes().stream()
                .filter(n -> spec.constraints().admits(n.labels()) && !downNodes.contains(n.id())).count();
    }
}
