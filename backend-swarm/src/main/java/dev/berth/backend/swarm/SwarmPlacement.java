// Where Swarm may put an instance's task when Swarm schedules: node labels, and uniqueHost or maxPerNode as nodes left out.
package dev.berth.backend.swarm;

import com.github.dockerjava.api.model.Service;
import dev.berth.api.AppSpec;
import dev.berth.api.Constraints;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The placement constraints of an instance's service when Swarm places it: each of the app's
 * {@code nodeLabels} as {@code node.labels.KEY==VALUE} (Swarm reads the same node labels Berth's
 * nodes carry), and, for {@code uniqueHost} or {@code maxPerNode}, {@code node.id!=...} for every
 * node that already runs as many of the release's tasks as allowed. Swarm's own per-service limit
 * ({@code MaxReplicas}) cannot say this, since each instance is a service of its own; the limit is
 * read from the tasks the swarm runs when the service is created (the backend creates a limited
 * app's services one after another, so each sees the last one's node). Swarm keeps a service's
 * constraints when it moves its task, so a moved task honours them too. Stateless.
 */
final class SwarmPlacement {
    private SwarmPlacement() {
    }

    /** Whether {@code app} limits its instances per node. */
    static boolean limited(AppSpec app) {
        Constraints c = app.constraints();
        return c.uniqueHost() || c.maxPerNode() > 0;
    }

    /** The constraints for a new task of {@code app}, given the tasks of its services on each Swarm node now. */
    static List<String> constraints(AppSpec app, Map<String, Integer> tasksPerNode) {
        List<String> out = new ArrayList<>();
        new TreeMap<>(app.constraints().nodeLabels()).forEach((k, v) -> out.add("node.labels." + k + "==" + v));
        if (limited(app)) {
            int limit = app.constraints().uniqueHost() ? 1 : app.constraints().maxPerNode();
            new TreeMap<>(tasksPerNode).forEach((node, n) -> {
                if (n >= limit) {
                    out.add("node.id!=" + node);
                }
            });
        }
        return out;
    }

    /**
     * How many live tasks (not ended, not on their way out) the services of {@code app}'s
     * {@code release} have on each Swarm node: as in Berth's own placement, an older release's
     * instances do not count, so that a rolling update can start the new one beside them.
     */
    static Map<String, Integer> tasksPerNode(SwarmApi api, String managed, String app, String release) {
        Set<String> services = api.services(Map.of(ServiceSpecs.MANAGED, managed, ServiceSpecs.APP, app, ServiceSpecs.RELEASE,
                release)).stream().map(Service::getId).collect(Collectors.toSet());
        Map<String, Integer> out = new HashMap<>();
        if (services.isEmpty()) {
            return out;
        }
        // the tasks of these services only; a service removed meanwhile (404) makes it the swarm's whole list
        for (SwarmApi.TaskView t : api.serviceTasks(services).orElseGet(api::tasks)) {
            if (services.contains(t.serviceId()) && t.nodeId() != null && !t.ended() && !t.retired()) {
                out.merge(t.nodeId(), 1, Integer::sum);
            }
        }
        return out;
    }
}
