// Node loss: a silent majority evicts nothing, a down node's instances serve until replaced.
package dev.berth.core.internal.reconcile;

import static dev.berth.core.internal.reconcile.LoopHarness.DOMAIN;
import static dev.berth.core.internal.reconcile.LoopHarness.nodes;
import static dev.berth.core.internal.reconcile.LoopHarness.web;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.Endpoint;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.PlatformEvent;
import dev.berth.api.RestartPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Losing contact is not losing the node: a silent majority evicts nothing, a down node's instances
 * serve until replaced. Stepped on a manual clock ({@link LoopHarness#stepped}), except the last
 * test, whose router holds a table on its own thread.
 */
class ReconcilerNodesTest {
    private static final Duration DOWN_AFTER = Duration.ofMillis(400);
    private static final RestartPolicy POLICY = new RestartPolicy(Duration.ofMillis(100), Duration.ofMillis(400), 2,
            Duration.ofMinutes(1));
    private final LoopHarness h = new LoopHarness();

    @AfterEach
    void close() {
        h.close();
    }

    private List<InstanceRecord> deployOnePerNode(int nodes) {
        for (int i = 1; i <= nodes; i++) {
            h.backend.reporting.add("n" + i);
        }
        h.open(nodes(nodes), DOWN_AFTER);
        h.loop.deploy(web(nodes, POLICY).build());
        h.eventually(() -> h.inState(InstanceState.HEALTHY).size() == nodes && h.router.routed(DOMAIN).size() == nodes);
        assertThat(h.instances()).extracting(InstanceRecord::node).doesNotHaveDuplicates();
        return h.instances();
    }

    private void assertNothingEvicted(List<InstanceRecord> before) {
        assertThat(h.events).noneMatch(e -> e instanceof PlatformEvent.NodeDown || e instanceof PlatformEvent.InstanceLost);
        assertThat(h.instances()).extracting(InstanceRecord::id, InstanceRecord::handle, InstanceRecord::state)
                .containsExactlyInAnyOrderElementsOf(before.stream()
                        .map(r -> org.assertj.core.groups.Tuple.tuple(r.id(), r.handle(), InstanceState.HEALTHY)).toList());
        assertThat(h.router.routed(DOMAIN)).isEqualTo(h.endpointsOf(before));
        assertThat(h.backend.stops).isEmpty();
    }

    @Test
    void whenMostNodesFallSilentAtOnceTheControlPlaneIsSuspectedAndNothingIsEvicted() {
        List<InstanceRecord> before = deployOnePerNode(3);
        Instant now = h.now();
        h.backend.cutOff.put("n1", now);
        h.backend.cutOff.put("n2", now);

        h.during(Duration.ofMillis(1500), () -> h.events(PlatformEvent.NodeDown.class).isEmpty());

        assertNothingEvicted(before);
        assertThat(h.events(PlatformEvent.ControlPlaneSuspect.class)).singleElement().satisfies(s -> {
            assertThat(s.silent()).isEqualTo(2);
            assertThat(s.nodes()).isEqualTo(3);
        });

        h.backend.cutOff.clear(); // they answer again

        h.eventually(() -> !h.events(PlatformEvent.ControlPlaneTrusted.class).isEmpty());
        assertNothingEvicted(before);
        assertThat(h.events).noneMatch(e -> e instanceof PlatformEvent.NodeUp || e instanceof PlatformEvent.StaleInstanceStopped);
    }

    @Test
    void aSingleNodeThatFallsSilentIsSuspicionNotDown() {
        List<InstanceRecord> before = deployOnePerNode(1);
        h.backend.cutOff.put("n1", h.now());

        h.during(Duration.ofMillis(1200), () -> h.events(PlatformEvent.NodeDown.class).isEmpty());

        assertNothingEvicted(before);
        assertThat(h.events(PlatformEvent.ControlPlaneSuspect.class)).singleElement()
                .satisfies(s -> assertThat(s.silent()).isEqualTo(1));
    }

    @Test
    void oneOfTwoNodesFallingSilentIsDown() {
        deployOnePerNode(2);
        h.backend.cutOff.put("n1", h.now());

        h.eventually(() -> h.events(PlatformEvent.NodeDown.class).size() == 1);

        assertThat(h.events(PlatformEvent.NodeDown.class).get(0).node()).isEqualTo("n1");
        assertThat(h.events).noneMatch(e -> e instanceof PlatformEvent.ControlPlaneSuspect);
    }

    @Test
    void aDownNodesInstanceStaysRoutedUntilItsReplacementIsReady() {
        List<InstanceRecord> before = deployOnePerNode(3);
        InstanceRecord lost = before.stream().filter(r -> r.node().equals("n1")).findFirst().orElseThrow();
        h.backend.listenLate = true; // the replacement will take its time to listen
        h.backend.cutOff.put("n1", h.now()); // cut off, alive: its process goes on serving

        h.eventually(() -> h.events(PlatformEvent.InstanceLost.class).size() == 1
                && h.instances().size() == 3 && h.instances().stream().noneMatch(r -> r.id().equals(lost.id())));
        InstanceRecord replacement = h.instances().stream().filter(r -> before.stream().noneMatch(b -> b.id().equals(r.id())))
                .findFirst().orElseThrow();
        h.eventually(() -> h.instance(replacement.id()).endpoint() != null);
        h.advance(Duration.ofMillis(500));
        assertThat(h.instance(replacement.id()).state()).isEqualTo(InstanceState.RUNNING);
        assertThat(h.router.routed(DOMAIN)).as("routed while the replacement does not listen")
                .isEqualTo(h.endpointsOf(before));

        h.backend.listen(replacement.id());

        Endpoint fresh = h.instance(replacement.id()).endpoint();
        h.eventually(() -> h.router.routed(DOMAIN).contains(fresh));
        Set<Endpoint> now = h.router.routed(DOMAIN);
        assertThat(now).hasSize(3).doesNotContain(lost.endpoint());
        assertThat(h.events(PlatformEvent.ControlPlaneSuspect.class)).isEmpty();
    }

    @Test
    void aLostInstanceStillRoutedWhenItsNodeAnswersAgainLeavesTheRouterBeforeItIsStopped() {
        List<InstanceRecord> before = deployOnePerNode(3);
        InstanceRecord lost = before.stream().filter(r -> r.node().equals("n1")).findFirst().orElseThrow();
        h.backend.listenLate = true; // its replacement never gets ready in this test
        h.backend.cutOff.put("n1", h.now());
        h.until(() -> h.events(PlatformEvent.InstanceLost.class).size() == 1);
        h.during(Duration.ofMillis(300), () -> h.router.routed(DOMAIN).contains(lost.endpoint()));
        h.holdRouter(); // the next tables (the one that leaves it out among them) wait until released

        h.backend.cutOff.remove("n1"); // it answers again, still running the lost instance

        h.until(() -> !h.events(PlatformEvent.NodeUp.class).isEmpty());
        h.during(Duration.ofMillis(600), () -> !h.backend.stops.contains(lost.id())); // the router may still send to it
        assertThat(h.backend.running).containsKey(lost.id());
        List<dev.berth.spi.NodeStatus> stale = h.backend.nodeStatus(); // n1 still lists the lost instance
        h.releaseRouter();
        h.until(() -> h.backend.stops.contains(lost.id()));
        assertThat(h.router.routed(DOMAIN)).doesNotContain(lost.endpoint());
        // the event follows the backend's stop through the loop's queue
        h.until(() -> !h.events(PlatformEvent.StaleInstanceStopped.class).isEmpty());
        assertThat(h.events(PlatformEvent.StaleInstanceStopped.class)).extracting(PlatformEvent.StaleInstanceStopped::instance)
                .containsExactly(lost.id());

        // a slow heartbeat's report, taken before that stop, still lists it: it is not stopped again
        h.backend.frozen = stale;
        h.advance(Duration.ofMillis(300));
        h.backend.frozen = null;
        h.advance(Duration.ofMillis(300));
        assertThat(h.events(PlatformEvent.StaleInstanceStopped.class)).hasSize(1);
        assertThat(h.backend.stops).filteredOn(lost.id()::equals).hasSize(1);
    }
}
