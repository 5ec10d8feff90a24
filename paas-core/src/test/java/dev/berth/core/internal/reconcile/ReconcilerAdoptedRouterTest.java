// A new loop over a proxy the last one left serving: nothing stopped before the proxy stops sending to it.
package dev.berth.core.internal.reconcile;

import static dev.berth.core.internal.reconcile.LoopHarness.DOMAIN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.spi.AppRecord;
import dev.berth.api.Endpoint;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.PlatformEvent;
import dev.berth.api.RestartPolicy;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A new control loop over a proxy that the last one left serving (Serve killed, its nginx adopted):
 * until this loop's first table is applied, the proxy may send to any adopted instance, so none
 * is stopped before that table leaves it out.
 */
class ReconcilerAdoptedRouterTest {
    private final LoopHarness h = new LoopHarness();

    @AfterEach
    void close() {
        h.close();
    }

    @Test
    void anAdoptedInstanceNoLongerWantedLeavesTheAdoptedProxyBeforeItIsStopped() {
        h.open(LoopHarness.nodes(1), Duration.ofSeconds(30));
        h.loop.deploy(LoopHarness.web(2, RestartPolicy.defaults()).build());
        h.until(() -> h.inState(InstanceState.HEALTHY).size() == 2 && h.router.routed(DOMAIN).size() == 2);
        Set<Endpoint> served = h.router.routed(DOMAIN); // what the proxy keeps serving after the loop dies
        h.loop.close();
        AppRecord web = h.store.apps.get("web");
        h.store.apps.put("web", web.withSpec(web.spec().withInstances(Instances.of(1)))); // one is no longer wanted
        h.holdRouter(); // the new loop's tables wait until released

        h.open(LoopHarness.nodes(1), Duration.ofSeconds(30));
        h.until(() -> h.events(PlatformEvent.InstanceAdopted.class).size() == 2);
        h.during(Duration.ofMillis(600), h.backend.stops::isEmpty); // the adopted proxy may still send to them
        assertThat(h.router.routed(DOMAIN)).isEqualTo(served);

        h.releaseRouter();
        h.until(() -> h.backend.stops.size() == 1);
        Set<Endpoint> left = h.instances().stream().filter(r -> !h.backend.stops.contains(r.id()))
                .map(InstanceRecord::endpoint).collect(Collectors.toSet());
        assertThat(h.router.routed(DOMAIN)).isEqualTo(left).hasSize(1);
    }
}
