// Readiness before traffic, stepped on a manual clock with real connects: routed only once accepting.
package dev.berth.core.internal.reconcile;

import static dev.berth.core.internal.reconcile.LoopHarness.DOMAIN;
import static dev.berth.core.internal.reconcile.LoopHarness.nodes;
import static dev.berth.core.internal.reconcile.LoopHarness.web;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.DeployRecord;
import dev.berth.api.Endpoint;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.PlatformEvent;
import dev.berth.api.RestartPolicy;
import dev.berth.api.UpdateStrategy;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Readiness before traffic: an instance with an endpoint is routed and counted only once it accepts
 * a connection. Stepped on a manual clock ({@link LoopHarness#stepped}); the probes connect for real.
 */
class ReconcilerReadinessTest {
    private static final RestartPolicy POLICY = new RestartPolicy(Duration.ofMillis(100), Duration.ofMillis(400), 2,
            Duration.ofMinutes(1));
    private final LoopHarness h = new LoopHarness();

    @AfterEach
    void close() {
        h.close();
    }

    private List<InstanceRecord> ofRelease(String release) {
        return h.instances().stream().filter(r -> r.release().equals(release)).toList();
    }

    @Test
    void aNewInstanceIsNeitherRoutedNorCountedUntilItAcceptsAConnection() {
        h.open(nodes(2), Duration.ofSeconds(5));
        h.loop.deploy(web(2, POLICY).build());
        h.eventually(() -> h.inState(InstanceState.HEALTHY).size() == 2 && h.router.routed(DOMAIN).size() == 2);
        Set<Endpoint> old = h.router.routed(DOMAIN);
        h.backend.listenLate = true; // the new release's processes take their time to listen

        String r2 = h.loop.deploy(web(2, POLICY).env("V", "2").build());

        h.eventually(() -> ofRelease(r2).size() == 2
                && ofRelease(r2).stream().allMatch(r -> r.state() == InstanceState.RUNNING && r.endpoint() != null));
        h.advance(Duration.ofMillis(600)); // many probes and passes later
        List<InstanceRecord> fresh = ofRelease(r2);
        assertThat(fresh).allSatisfy(r -> assertThat(r.state()).isEqualTo(InstanceState.RUNNING));
        assertThat(h.router.everRouted).as("endpoints that never accepted a connection").doesNotContainAnyElementsOf(
                h.endpointsOf(fresh));
        assertThat(h.router.routed(DOMAIN)).isEqualTo(old);
        assertThat(h.backend.stops).as("old instances drained for instances that do not listen").isEmpty();
        assertThat(h.events(PlatformEvent.DeployProgress.class)).filteredOn(p -> p.release().equals(r2))
                .allSatisfy(p -> assertThat(p.healthy()).isZero());

        java.time.Instant t0 = h.now();
        fresh.forEach(r -> h.backend.listen(r.id()));
        h.eventually(() -> h.router.routed(DOMAIN).containsAll(h.endpointsOf(fresh)));
        long routedMs = Duration.between(t0, h.now()).toMillis();

        LoggerFactory.getLogger(ReconcilerReadinessTest.class).info("listening 600 ms after start: routed {} ms later", routedMs);
        assertThat(routedMs).as("ms from listening to routed, probing at the start-up pace").isLessThan(500);
        h.eventually(() -> h.events(PlatformEvent.DeploySucceeded.class).stream().anyMatch(d -> d.release().equals(r2)));
        assertThat(h.router.routed(DOMAIN)).isEqualTo(h.endpointsOf(fresh));
    }

    @Test
    void anInstanceThatListensAtOnceIsRoutedWithinTensOfMilliseconds() {
        h.open(nodes(1), Duration.ofSeconds(5));
        h.loop.deploy(web(1, POLICY).build());

        h.eventually(() -> h.router.routed(DOMAIN).size() == 1);

        PlatformEvent.InstanceStarted started = h.events(PlatformEvent.InstanceStarted.class).get(0);
        PlatformEvent.InstanceHealthy ready = h.events(PlatformEvent.InstanceHealthy.class).get(0);
        long ms = Duration.between(started.at(), ready.at()).toMillis();
        LoggerFactory.getLogger(ReconcilerReadinessTest.class).info("listening at start: ready {} ms after started", ms);
        assertThat(ms).isLessThan(100);
        assertThat(h.router.routed(DOMAIN)).containsExactly(started.endpoint());
    }

    @Test
    void aRespawnThatNeverListensIsRestartedAfterItsReadinessTimeoutWithBackOff() {
        h.open(nodes(1), Duration.ofSeconds(5), Duration.ofMillis(500));
        h.loop.deploy(web(1, POLICY).build());
        h.eventually(() -> h.router.routed(DOMAIN).size() == 1);
        h.backend.listenLate = true;

        h.backend.crash("web-1", 137); // ready for a moment only: a failure, 100 ms back-off

        h.eventually(() -> !h.events(PlatformEvent.InstanceUnhealthy.class).isEmpty());
        PlatformEvent.InstanceUnhealthy gaveUp = h.events(PlatformEvent.InstanceUnhealthy.class).get(0);
        PlatformEvent.InstanceStarted respawned = h.events(PlatformEvent.InstanceStarted.class).get(1);
        assertThat(gaveUp.reason()).isEqualTo("never accepted a connection on " + respawned.endpoint()
                + " within 500ms; replacing it");
        assertThat(Duration.between(respawned.at(), gaveUp.at())).isBetween(Duration.ofMillis(450), Duration.ofMillis(2000));
        assertThat(h.router.everRouted).doesNotContain(respawned.endpoint());
        h.backend.listenLate = false;
        h.eventually(() -> h.router.routed(DOMAIN).size() == 1 && h.instance("web-1").restarts() == 2);
        // a start that never got ready is one more failure in a row: the back-off grew
        assertThat(h.events(PlatformEvent.InstanceRespawning.class)).extracting(e -> e.delay().toMillis())
                .containsExactly(100L, 200L);
        assertThat(h.backend.stops).containsExactly("web-1");
    }

    @Test
    void aReleaseThatNeverListensIsRolledBackWithItsReasonAndTheOldOneServesThroughout() {
        h.open(nodes(2), Duration.ofSeconds(5));
        String r1 = h.loop.deploy(web(2, POLICY).build());
        h.eventually(() -> h.inState(InstanceState.HEALTHY).size() == 2 && h.router.routed(DOMAIN).size() == 2);
        Set<Endpoint> old = h.router.routed(DOMAIN);
        h.backend.listenLate = true;

        String r2 = h.loop.deploy(web(2, POLICY).env("V", "2")
                .update(UpdateStrategy.defaults().withDeadline(Duration.ofSeconds(1))).build());

        h.eventually(() -> !h.events(PlatformEvent.DeployFailed.class).isEmpty());
        PlatformEvent.DeployFailed failed = h.events(PlatformEvent.DeployFailed.class).get(0);
        assertThat(failed.release()).isEqualTo(r2);
        assertThat(failed.rolledBackTo()).isEqualTo(r1);
        assertThat(failed.reason()).contains("never accepted a connection on 127.0.0.1:").contains("within 1s");
        h.eventually(() -> h.instances().size() == 2 && h.instances().stream().allMatch(r -> r.release().equals(r1)));
        assertThat(h.router.routed(DOMAIN)).isEqualTo(old);
        assertThat(h.router.everRouted).as("what was ever routed").isEqualTo(old);
        assertThat(h.loop.view().apps().get("web").history()).extracting(DeployRecord::outcome)
                .containsExactly(DeployRecord.Outcome.SUCCEEDED, DeployRecord.Outcome.ROLLED_BACK);
    }
}
