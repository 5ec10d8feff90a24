// Respawn on a manual clock: at once after a good run, back-off only across failures in a row.
package dev.berth.core.internal.reconcile;

import static dev.berth.core.internal.reconcile.LoopHarness.nodes;
import static dev.berth.core.internal.reconcile.LoopHarness.web;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.PlatformEvent;
import dev.berth.api.RestartPolicy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Respawn: at once after a good run, exponential back-off only across failures in a row. On
 * {@link SteppedThreads}: a good run is the clock moved on, and "at once" means in the same step,
 * with no time passing.
 */
class ReconcilerRespawnTest {
    private final LoopHarness h = new LoopHarness();

    @AfterEach
    void close() {
        h.close();
    }

    private boolean ready(int restarts) {
        InstanceRecord r = h.instance("web-1");
        return r != null && r.state() == InstanceState.HEALTHY && r.restarts() == restarts;
    }

    private void awaitReady(int restarts) {
        h.until(() -> ready(restarts));
    }

    private List<Long> respawnDelaysMs() {
        return h.events(PlatformEvent.InstanceRespawning.class).stream().map(e -> e.delay().toMillis()).toList();
    }

    @Test
    void theFirstRespawnAfterAGoodRunStartsAtOnce() {
        h.open(nodes(1), Duration.ofSeconds(5));
        h.loop.deploy(web(1, RestartPolicy.defaults()).build()); // back-off from 1 s

        for (int k = 1; k <= 10; k++) {
            awaitReady(k - 1);
            h.advance(Duration.ofMillis(1100)); // ready for over a second: a good run
            int starts = h.backend.startNanos.size();
            h.backend.crash("web-1", 137); // the backend's exit callback posts to the loop
            h.runUntilIdle();
            assertThat(h.backend.startNanos).as("respawn %d: started in the step that saw the exit", k).hasSize(starts + 1);
        }
        awaitReady(10);
        assertThat(respawnDelaysMs()).hasSize(10).containsOnly(0L);
    }

    @Test
    void theBackOffGrowsOnlyAcrossFailuresInARow() {
        h.open(nodes(1), Duration.ofSeconds(5));
        h.loop.deploy(web(1, new RestartPolicy(Duration.ofMillis(100), Duration.ofMillis(400), 2, Duration.ofMinutes(1))).build());
        awaitReady(0);
        h.advance(Duration.ofMillis(1100));
        h.backend.crash("web-1", 137); // after a good run: at once

        for (int k = 1; k <= 4; k++) {
            awaitReady(k);
            h.backend.crash("web-1", 1); // died within a second of becoming ready: a failure
        }
        awaitReady(5);
        h.advance(Duration.ofMillis(1100));
        h.backend.crash("web-1", 137); // a good run again: at once, and the count starts over
        awaitReady(6);
        h.backend.crash("web-1", 1);
        awaitReady(7);

        assertThat(respawnDelaysMs()).containsExactly(0L, 100L, 200L, 400L, 400L, 0L, 100L);
    }

    @Test
    void aRunLongerThanResetAfterCountsAsGoodEvenIfReadyOnlyBriefly() {
        h.open(nodes(1), Duration.ofSeconds(5));
        h.loop.deploy(web(1, new RestartPolicy(Duration.ofSeconds(1), Duration.ofSeconds(4), 2, Duration.ofSeconds(1)))
                .build());
        awaitReady(0);
        h.backend.crash("web-1", 1); // ready a moment only: a failure, 1 s back-off
        awaitReady(1);
        assertThat(respawnDelaysMs()).containsExactly(1000L);
        h.backend.listenLate = true;
        h.backend.crash("web-1", 1); // a failure again, and the next start listens late
        h.until(() -> h.backend.starts.size() == 3);
        h.backend.listenLate = false; // the starts after this one listen at once
        String id = "web-1";
        h.throughout(Duration.ofMillis(1200), () -> h.instance(id).state() == InstanceState.RUNNING);

        h.backend.listen(id); // ready after 1.2 s, dies at once: it ran for longer than resetAfter
        awaitReady(2);
        h.backend.crash(id, 1);
        awaitReady(3);

        assertThat(respawnDelaysMs()).containsExactly(1000L, 2000L, 0L);
    }

    @Test
    void anInstanceRunsOnTheNodeTheBackendsEnginePlacedItOnAndTheSchedulerCountsItThere() {
        h.open(nodes(2), Duration.ofSeconds(5));
        h.backend.placesOn = asked -> "n2"; // the engine puts everything on n2, whatever Berth asked
        h.loop.deploy(web(4, RestartPolicy.defaults()).build());
        h.until(() -> h.inState(InstanceState.HEALTHY).size() == 4);
        assertThat(h.instances()).extracting(InstanceRecord::node).containsOnly("n2");
        assertThat(h.backend.asked.values()).as("Berth's placement asked for both nodes").contains("n1");
        List<String> first = h.instances().stream().map(InstanceRecord::id).toList();

        h.backend.placesOn = null;
        h.loop.deploy(web(6, RestartPolicy.defaults()).build());
        h.until(() -> h.inState(InstanceState.HEALTHY).size() == 6);
        assertThat(h.instances()).filteredOn(r -> first.contains(r.id())).extracting(InstanceRecord::node)
                .as("the first four stay where the engine put them").containsOnly("n2");
        assertThat(h.instances()).filteredOn(r -> !first.contains(r.id())).extracting(r -> h.backend.asked.get(r.id()))
                .as("n2 counts as full (4 of 4 cpu) for the scheduler: the new two are asked for on n1").containsOnly("n1");

        h.advance(Duration.ofMillis(1100));
        String moved = h.instances().stream().filter(r -> r.node().equals("n2")).findFirst().orElseThrow().id();
        h.backend.crash(moved, 137);
        h.until(() -> h.instance(moved) != null && h.instance(moved).restarts() == 1
                && h.instance(moved).state() == InstanceState.HEALTHY);
        assertThat(h.backend.asked.get(moved)).as("a respawn asks for the node it ran on").isEqualTo("n2");
        assertThat(h.instance(moved).node()).isEqualTo("n2");
    }
}
