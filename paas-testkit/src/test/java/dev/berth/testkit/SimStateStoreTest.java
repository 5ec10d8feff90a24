// The in-memory state store: batches applied as written, loads as saved, writes counted.
package dev.berth.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.spi.StateChanges;
import org.junit.jupiter.api.Test;

/** {@link SimStateStore}. */
class SimStateStoreTest {
    private static InstanceRecord instance(String id) {
        return new InstanceRecord(id, "web", "r1", "n1", InstanceState.HEALTHY, null, null, 0, null, null);
    }

    @Test
    void aBatchSavesAndDeletesRecordsAndLoadsGiveBackWhatIsLeft() {
        SimStateStore store = new SimStateStore();
        AppRecord web = new AppRecord(AppSpec.builder("web").command("serve").build(), "r1", false);
        store.write(StateChanges.builder().saveApp(web).saveInstance(instance("web-1")).saveInstance(instance("web-2")).build());
        store.write(StateChanges.builder().deleteInstance("web-1").build());
        store.write(StateChanges.builder().build());

        assertThat(store.loadApps()).containsOnlyKeys("web");
        assertThat(store.loadInstances()).extracting(InstanceRecord::id).containsExactly("web-2");
        assertThat(store.writes()).isEqualTo(2);
        assertThat(store.recordsWritten()).isEqualTo(4);

        store.deleteApp("web");
        assertThat(store.loadApps()).isEmpty();
    }
}
