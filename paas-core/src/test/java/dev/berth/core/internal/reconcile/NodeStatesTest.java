// The scheduler's view kept between placements: only changed nodes are rebuilt, the others are the same objects.
package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.spi.ClusterSnapshot;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** {@link NodeStates}: what a snapshot rebuilds, and what it reuses. */
class NodeStatesTest {
    private final List<NodeSpec> nodes = List.of(NodeSpec.of("n1", Resources.of(4, 4096)),
            NodeSpec.of("n2", Resources.of(4, 4096)), NodeSpec.of("n3", Resources.of(4, 4096)));
    private final List<String> built = new ArrayList<>();
    private final Function<NodeSpec, ClusterSnapshot.NodeState> build = n -> {
        built.add(n.id());
        return new ClusterSnapshot.NodeState(n, true, List.of());
    };

    @Test
    void theFirstSnapshotBuildsEveryNodeThenOnlyChangedOnesAreRebuilt() {
        NodeStates states = new NodeStates();
        ClusterSnapshot first = states.snapshot(nodes, Set.of(), build);
        assertThat(built).containsExactly("n1", "n2", "n3");

        built.clear();
        ClusterSnapshot second = states.snapshot(nodes, Set.of("n2"), build);
        assertThat(built).containsExactly("n2");
        assertThat(second.nodes().get(0)).isSameAs(first.nodes().get(0));
        assertThat(second.nodes().get(1)).isNotSameAs(first.nodes().get(1));
        assertThat(second.nodes().get(2)).isSameAs(first.nodes().get(2));
    }

    @Test
    void afterMarkAllEveryNodeIsRebuiltOnce() {
        NodeStates states = new NodeStates();
        states.snapshot(nodes, Set.of(), build);
        states.markAll();
        built.clear();
        states.snapshot(nodes, Set.of(), build);
        assertThat(built).containsExactly("n1", "n2", "n3");
        built.clear();
        states.snapshot(nodes, Set.of(), build);
        assertThat(built).isEmpty();
    }
}
