// What changed in the loop's state since each of its readers last looked: the one place changes are recorded.
package dev.berth.core.internal.reconcile;

import dev.berth.api.InstanceRecord;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The loop's change feed. Every change of a tracked instance's record and of an app's record is
 * told here once ({@link #instance}, {@link #app}); each reader of the loop's state takes what
 * changed since it last did, at its own pace, deduplicated:
 *
 * <ul>
 *   <li>the store ({@link Publication}): instance ids and app names to save, in order of first change;</li>
 *   <li>the readers' view ({@link Publication#refreshView}): instance ids with their apps, and app names;</li>
 *   <li>the scheduler's node states ({@link NodeStates}): the nodes whose instances changed;</li>
 *   <li>the router's table ({@link RoutingSync}): the apps whose route may have changed.</li>
 * </ul>
 *
 * Each reader's set is bounded by what exists (ids, apps, nodes), however long it does not look.
 * Not thread-safe: loop thread only.
 */
final class Changes {
    private Set<String> instancesToSave = new LinkedHashSet<>();
    private Set<String> appsToSave = new LinkedHashSet<>();
    private Map<String, String> instancesToView = new HashMap<>();
    private Set<String> appsToView = new HashSet<>();
    private Set<String> nodesToPlace = new HashSet<>();
    private Set<String> appsToRoute = new HashSet<>();
    private boolean routeAll = true;

    /** A tracked instance's record was put, replaced or removed. */
    void instance(InstanceRecord r) {
        instancesToSave.add(r.id());
        instancesToView.put(r.id(), r.app());
        nodesToPlace.add(r.node());
        appsToRoute.add(r.app());
    }

    /** A saved instance record that is not tracked (any more) is to be deleted from the store. */
    void dropSaved(String id) {
        instancesToSave.add(id);
    }

    /** An app's record was put, replaced or removed; {@code nodes} are the nodes its instances are on. */
    void app(String name, Iterable<String> nodes) {
        appsToSave.add(name);
        appsToView.add(name);
        appsToRoute.add(name);
        nodes.forEach(nodesToPlace::add);
    }

    /** An app's route may have changed for another reason (its endpoints lost with a node, say). */
    void route(String app) {
        appsToRoute.add(app);
    }

    /** The instance ids to save (or delete), in order of their first change; starts empty again. */
    Set<String> takeInstancesToSave() {
        Set<String> out = instancesToSave;
        instancesToSave = new LinkedHashSet<>();
        return out;
    }

    /** The app names to save (or delete), in order of their first change; starts empty again. */
    Set<String> takeAppsToSave() {
        Set<String> out = appsToSave;
        appsToSave = new LinkedHashSet<>();
        return out;
    }

    /** The instance ids, with their apps, changed since the view was last refreshed; starts empty again. */
    Map<String, String> takeInstancesToView() {
        Map<String, String> out = instancesToView;
        instancesToView = new HashMap<>();
        return out;
    }

    /** The app names changed since the view was last refreshed; starts empty again. */
    Set<String> takeAppsToView() {
        Set<String> out = appsToView;
        appsToView = new HashSet<>();
        return out;
    }

    /** The nodes whose instances changed since the last placement; starts empty again. */
    Set<String> takeNodesToPlace() {
        Set<String> out = nodesToPlace;
        nodesToPlace = new HashSet<>();
        return out;
    }

    /** Every app's route may have changed (a node went down or came back, a resync): the next table recomputes all. */
    void routeAll() {
        routeAll = true;
    }

    /** Whether every route is to be recomputed (once after {@link #routeAll}, and at first); starts false again. */
    boolean takeRouteAll() {
        boolean out = routeAll;
        routeAll = false;
        return out;
    }

    /** The apps whose route may have changed since the last table; starts empty again. */
    Set<String> takeAppsToRoute() {
        Set<String> out = appsToRoute;
        appsToRoute = new HashSet<>();
        return out;
    }
}
