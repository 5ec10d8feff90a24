// The loop's dirty set: a pass converges the apps touched since the last one, or every app after a resync.
package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.AppRecord;
import dev.berth.api.AppSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link DirtyApps}: what a pass takes, and that each take starts over. */
class DirtyAppsTest {
    private static final Map<String, AppRecord> APPS = new TreeMap<>();

    static {
        for (String name : List.of("api", "db", "web", "worker")) {
            APPS.put(name, new AppRecord(AppSpec.builder(name).command("serve").build(), "r1", false));
        }
    }

    private static List<String> take(DirtyApps dirty, Set<String> always) {
        return dirty.take(APPS.keySet(), always, Set.of("old"));
    }

    @Test
    void aPassTakesTheTouchedAppsOnceInNameOrderAndNothingAfterwards() {
        DirtyApps dirty = new DirtyApps();
        dirty.mark("web");
        dirty.mark("api");
        dirty.mark("web");

        assertThat(take(dirty, Set.of())).containsExactly("api", "web");
        assertThat(take(dirty, Set.of())).isEmpty();
    }

    @Test
    void appsWaitingForAPlacementAreTakenEveryPassAndARemovedAppOnceToRetireItsInstances() {
        DirtyApps dirty = new DirtyApps();
        dirty.mark("gone");
        dirty.mark("db");

        assertThat(take(dirty, Set.of("worker"))).containsExactly("db", "gone", "worker");
        assertThat(take(dirty, Set.of("worker"))).containsExactly("worker");
    }

    @Test
    void aResyncTakesEveryAppAndEveryAppWithInstancesOnceThenOnlyWhatIsTouchedAgain() {
        DirtyApps dirty = new DirtyApps();
        dirty.mark("db");
        dirty.markAll();
        dirty.mark("web");

        assertThat(take(dirty, Set.of())).containsExactly("api", "db", "old", "web", "worker");
        dirty.mark("web");
        assertThat(take(dirty, Set.of())).containsExactly("web");
    }
}
