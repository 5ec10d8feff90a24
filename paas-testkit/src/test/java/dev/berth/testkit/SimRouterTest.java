// SimRouter: tables taken at once and counted; a table a real router would refuse is refused too.
package dev.berth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.Endpoint;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.Routing;
import dev.berth.api.RoutingTable;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link SimRouter} keeps the last table, counts them, and checks each as a real router does. */
class SimRouterTest {
    @Test
    void keepsTheLastTableAndCountsThemAndRefusesWhatARealRouterWould() {
        SimRouter router = new SimRouter();
        assertThat(router.last().routes()).isEmpty();
        RoutingTable table = new RoutingTable(Map.of("web.test",
                RoutingTable.Route.of("web", Routing.of("web.test"), List.of(new Endpoint("127.0.0.1", 20000)))));

        router.apply(table);
        router.apply(table);

        assertThat(router.last()).isSameAs(table);
        assertThat(router.applied()).isEqualTo(2);
        RoutingTable bad = new RoutingTable(Map.of("web;test", RoutingTable.Route.of("web", Routing.none(), List.of())));
        assertThatThrownBy(() -> router.apply(bad)).isInstanceOf(InvalidSpecException.class).hasMessageContaining("web;test");
        assertThat(router.last()).as("unchanged by a refused table").isSameAs(table);
        assertThat(router.traffic()).isEmpty();
    }
}
