// Properties of the loop's instance index: after any sequence of changes it equals an index rebuilt from scratch.
package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link InstanceIndex} against a plain map of id to instance, scanned the way the loop used to. */
class InstanceIndexTest {
    private static final int APPS = 5;
    private static final int NODES = 6;
    private static final int IDS = 40;

    private static Tracked tracked(String id, String app, String node, InstanceState state) {
        return new Tracked(new InstanceRecord(id, app, "r1", node, state, null, null, 0, null, null));
    }

    /** Applies one encoded change to both the index and the model: put a new instance, remove one, or change a record. */
    private static void apply(int op, InstanceIndex index, Map<String, Tracked> model) {
        String id = "app" + (op / 4 % APPS) + "-" + (op / 4 % IDS);
        switch (op % 4) {
            case 0, 1 -> {
                Tracked t = tracked(id, "app" + (op / 4 % APPS), "n" + (op / 7 % NODES), InstanceState.PENDING);
                index.put(t);
                model.put(id, t);
            }
            case 2 -> assertThat(index.remove(id)).isSameAs(model.remove(id));
            default -> {
                // the loop replaces a record with a copy of the same id, app and node
                Tracked t = index.get(id);
                if (t != null) {
                    t.update(t.record().withState(InstanceState.HEALTHY));
                }
            }
        }
    }

    private static List<String> ids(List<Tracked> list) {
        return list.stream().map(Tracked::id).toList();
    }

    private static List<String> scan(Map<String, Tracked> model, java.util.function.Predicate<Tracked> which) {
        List<String> out = new ArrayList<>();
        model.values().stream().filter(which).forEach(t -> out.add(t.id()));
        return out;
    }

    @Test
    void afterAnySequenceOfChangesTheIndexEqualsAScanOfEveryInstance() {
        qt().withExamples(500).forAll(lists().of(integers().between(0, 4000)).ofSizeBetween(0, 300)).checkAssert(ops -> {
            InstanceIndex index = new InstanceIndex();
            Map<String, Tracked> model = new TreeMap<>();
            for (int op : ops) {
                apply(op, index, model);
            }
            assertThat(index.size()).isEqualTo(model.size());
            assertThat(ids(index.copy())).containsExactlyElementsOf(model.keySet());
            assertThat(index.all()).containsExactlyElementsOf(model.values());
            for (int a = 0; a <= APPS; a++) { // app5 is never used: it has none
                String app = "app" + a;
                assertThat(ids(index.ofApp(app))).as("instances of %s", app)
                        .containsExactlyElementsOf(scan(model, t -> t.record().app().equals(app)));
            }
            for (int n = 0; n <= NODES; n++) {
                String node = "n" + n;
                assertThat(ids(index.onNode(node))).as("instances on %s", node)
                        .containsExactlyElementsOf(scan(model, t -> t.record().node().equals(node)));
            }
            model.values().forEach(t -> {
                assertThat(index.holds(t)).isTrue();
                assertThat(index.get(t.id())).isSameAs(t);
            });
        });
    }

    @Test
    void aNewInstanceUnderAKnownIdReplacesTheOldOneInEveryIndex() {
        InstanceIndex index = new InstanceIndex();
        Tracked old = tracked("web-1", "web", "n1", InstanceState.HEALTHY);
        Tracked fresh = tracked("web-1", "web", "n2", InstanceState.PENDING);
        index.put(old);
        index.put(fresh);

        assertThat(index.holds(old)).isFalse();
        assertThat(index.holds(fresh)).isTrue();
        assertThat(index.onNode("n1")).isEmpty();
        assertThat(index.onNode("n2")).containsExactly(fresh);
        assertThat(index.ofApp("web")).containsExactly(fresh);
    }

    @Test
    void listsAreCopiesThatTheLoopMayIterateWhileItRemovesInstances() {
        InstanceIndex index = new InstanceIndex();
        for (int i = 1; i <= 3; i++) {
            index.put(tracked("web-" + i, "web", "n1", InstanceState.HEALTHY));
        }
        for (Tracked t : index.ofApp("web")) {
            index.remove(t.id());
        }
        for (Tracked t : index.onNode("n1")) {
            index.remove(t.id());
        }
        assertThat(index.size()).isZero();
        assertThat(index.ofApp("web")).isEmpty();
        assertThat(index.onNode("n1")).isEmpty();
    }
}
