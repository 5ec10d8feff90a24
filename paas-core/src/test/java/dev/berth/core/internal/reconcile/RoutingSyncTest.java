// The routing table kept app by app: a change reroutes its app only, and a moved or removed domain leaves the table.
package dev.berth.core.internal.reconcile;

import static dev.berth.core.internal.reconcile.LoopHarness.DOMAIN;
import static dev.berth.core.internal.reconcile.LoopHarness.nodes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.AppSpec;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.RestartPolicy;
import dev.berth.api.Routing;
import dev.berth.api.RoutingTable;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RoutingSync} keeps each app's route between passes and recomputes only the apps that
 * changed: checked on stepped threads against the tables a recording router applied.
 */
class RoutingSyncTest {
    private final LoopHarness h = new LoopHarness();

    @AfterEach
    void close() {
        h.close();
    }

    private Map<String, RoutingTable.Route> last() {
        return h.router.applied.get(h.router.applied.size() - 1).routes();
    }

    private static AppSpec api(int count) {
        return AppSpec.builder("api").command("serve").instances(Instances.of(count))
                .resources(dev.berth.api.Resources.builder().cpu(1).build()).env(AppSpec.PORT, AppSpec.RANDOM_PORT)
                .routing(Routing.of("api.test")).build();
    }

    @Test
    void oneAppsChangeLeavesTheOthersRouteAsItWasAndMovedOrRemovedDomainsLeaveTheTable() {
        h.open(nodes(2), Duration.ofSeconds(5));
        h.loop.deploy(LoopHarness.web(2, RestartPolicy.defaults()).build());
        h.loop.deploy(api(1));
        h.until(() -> !h.router.applied.isEmpty() && last().containsKey(DOMAIN) && last().containsKey("api.test")
                && last().get(DOMAIN).endpoints().size() == 2 && last().get("api.test").endpoints().size() == 1);
        RoutingTable.Route apiRoute = last().get("api.test");

        h.loop.scale("web", Instances.of(1));
        h.until(() -> last().get(DOMAIN).endpoints().size() == 1 && h.backend.stops.size() == 1);
        assertThat(last().get("api.test")).as("api's route, kept as it was").isSameAs(apiRoute);

        h.loop.reroute("web", r -> Routing.of("www.test"));
        h.until(() -> last().containsKey("www.test"));
        assertThat(last()).as("the old domain left with the move").doesNotContainKey(DOMAIN);
        assertThat(last().get("www.test").endpoints()).hasSize(1);

        h.loop.remove("web");
        h.until(() -> !last().containsKey("www.test"));
        assertThat(last()).containsOnlyKeys("api.test");
        assertThat(h.inState(InstanceState.HEALTHY)).isEmpty();
    }

    @Test
    void aCostlyTableIsBuiltAtMostOncePerTenTimesItsCostAndTheLastChangeStillArrives() {
        h.workCost(Duration.ofMillis(2)); // building a table costs 2 ms: the next waits 20 ms on the loop's clock
        h.open(nodes(2), Duration.ofSeconds(5));
        h.loop.deploy(LoopHarness.web(4, RestartPolicy.defaults()).build());
        h.until(() -> !h.router.applied.isEmpty() && last().containsKey(DOMAIN) && last().get(DOMAIN).endpoints().size() == 4);

        h.loop.scale("web", Instances.of(1));
        h.until(() -> last().get(DOMAIN).endpoints().size() == 1 && h.backend.stops.size() == 3);

        java.util.List<java.time.Instant> at = h.router.appliedAt;
        assertThat(at).hasSizeGreaterThan(2);
        for (int i = 1; i < at.size(); i++) {
            assertThat(Duration.between(at.get(i - 1), at.get(i))).as("between tables %d and %d", i - 1, i)
                    .isGreaterThanOrEqualTo(Duration.ofMillis(20).minusMillis(1));
        }
    }
}
