// Properties of the loop's published view: built change by change, it equals the state it was built from.
package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link View#with} (and {@link Shards}) against plain maps rebuilt from scratch. */
class ViewTest {
    private static final int APPS = 7;
    private static final int IDS = 300;

    @Test
    void aViewBuiltFromChangesEqualsTheStateAndEarlierViewsStayAsTheyWere() {
        qt().withExamples(300).forAll(lists().of(integers().between(0, 100_000)).ofSizeBetween(0, 400)).checkAssert(ops -> {
            Map<String, AppRecord> apps = new TreeMap<>();
            Map<String, InstanceRecord> instances = new TreeMap<>();
            View view = View.EMPTY;
            View first = null;
            List<InstanceRecord> firstInstances = null;
            Map<String, AppRecord> appChanges = new HashMap<>();
            Map<String, Map<String, InstanceRecord>> instanceChanges = new HashMap<>();
            for (int i = 0; i < ops.size(); i++) {
                int op = ops.get(i);
                String app = "app" + (op % APPS);
                String id = app + "-" + (op / APPS % IDS);
                switch (op / 7 % 4) {
                    case 0 -> {
                        AppRecord rec = new AppRecord(AppSpec.builder(app).command("serve").build(), "r" + op, false);
                        apps.put(app, rec);
                        appChanges.put(app, rec);
                    }
                    case 1 -> {
                        apps.remove(app);
                        appChanges.put(app, null);
                    }
                    case 2 -> {
                        InstanceRecord r = new InstanceRecord(id, app, "r1", "n1", InstanceState.values()[op % 7], null, null,
                                op % 5, null, null);
                        instances.put(id, r);
                        instanceChanges.computeIfAbsent(app, k -> new HashMap<>()).put(id, r);
                    }
                    default -> {
                        instances.remove(id);
                        instanceChanges.computeIfAbsent(app, k -> new HashMap<>()).put(id, null);
                    }
                }
                if (op % 3 == 0 || i == ops.size() - 1) { // publish now and then, as the loop does after a task
                    view = view.with(appChanges, instanceChanges);
                    appChanges = new HashMap<>();
                    instanceChanges = new HashMap<>();
                    if (first == null) {
                        first = view;
                        firstInstances = new ArrayList<>(instances.values());
                    }
                }
            }
            assertThat(view.apps()).isEqualTo(apps);
            assertThat(view.instances()).containsExactlyElementsOf(instances.values());
            assertThat(view.instanceCount()).isEqualTo(instances.size());
            for (int a = 0; a < APPS; a++) {
                String app = "app" + a;
                assertThat(view.instancesOf(app)).containsExactlyElementsOf(
                        instances.values().stream().filter(r -> r.app().equals(app)).toList());
            }
            if (first != null) {
                assertThat(first.instances()).as("an older view is immutable").containsExactlyElementsOf(firstInstances);
            }
        });
    }
}
