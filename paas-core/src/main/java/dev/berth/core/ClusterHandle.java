// The Cluster handle a Platform hands out: each node with what the loop's last published view allocates on it.
package dev.berth.core;

import dev.berth.spi.AppRecord;
import dev.berth.api.Cluster;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.core.internal.reconcile.Reconciler;
import dev.berth.core.internal.reconcile.View;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A handle on the platform's nodes; each {@link #nodes()} reads the loop's last published view:
 * an instance that is not stopped counts its app's resources on its node. Thread-safe.
 */
final class ClusterHandle implements Cluster {
    private final Reconciler reconciler;
    private final List<NodeSpec> nodes;

    ClusterHandle(Reconciler reconciler, List<NodeSpec> nodes) {
        this.reconciler = reconciler;
        this.nodes = nodes;
    }

    @Override
    public List<Node> nodes() {
        View v = reconciler.view();
        Map<String, Resources> used = new HashMap<>();
        Map<String, Integer> count = new HashMap<>();
        for (InstanceRecord r : v.instances()) {
            AppRecord app = v.apps().get(r.app());
            if (app != null && r.state() != InstanceState.STOPPED) {
                used.merge(r.node(), app.spec().resources(), Resources::plus);
                count.merge(r.node(), 1, Integer::sum);
            }
        }
        List<Node> out = new ArrayList<>();
        for (NodeSpec n : nodes) {
            Resources u = used.getOrDefault(n.id(), Resources.none());
            out.add(new Node(n, !v.downNodes().contains(n.id()), u, n.capacity().minusClamped(u),
                    count.getOrDefault(n.id(), 0)));
        }
        return out;
    }
}
