// The loop's dirty set: a pass converges the apps touched since the last one, or every app after a resync.
package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.spi.AppRecord;
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

    @Test
    void aSweepOfALargePlatformIsSpreadOverPassesWhileTouchedAppsGoFirst() {
        int per = DirtyApps.SWEEP_PER_PASS;
        List<String> many = new java.util.ArrayList<>();
        for (int i = 0; i < per * 2 + 100; i++) {
            many.add(String.format("app-%05d", i));
        }
        DirtyApps dirty = new DirtyApps();
        dirty.markAll();

        List<String> first = dirty.take(many, Set.of(), Set.of());
        assertThat(first).containsExactlyElementsOf(many.subList(0, per));
        assertThat(dirty.sweeping()).isTrue();
        dirty.mark(many.get(many.size() - 1)); // touched: it goes now, not when the sweep reaches it
        List<String> second = dirty.take(many, Set.of(), Set.of());
        assertThat(second).hasSize(per + 1).containsAll(many.subList(per, 2 * per)).contains(many.get(many.size() - 1));
        List<String> third = dirty.take(many, Set.of(), Set.of());
        assertThat(third).containsExactlyElementsOf(many.subList(2 * per, many.size()));
        assertThat(dirty.sweeping()).isFalse();
        assertThat(dirty.take(many, Set.of(), Set.of())).isEmpty();
    }
}
