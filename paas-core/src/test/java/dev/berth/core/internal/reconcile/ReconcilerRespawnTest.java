package dev.berth.core.internal.reconcile;

import static dev.berth.core.internal.reconcile.LoopHarness.WAIT;
import static dev.berth.core.internal.reconcile.LoopHarness.nodes;
import static dev.berth.core.internal.reconcile.LoopHarness.web;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.PlatformEvent;
import dev.berth.api.RestartPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Respawn: at once after a good run, exponential back-off only across failures in a row. */
class ReconcilerRespawnTest {
    private static final Duration POLL = Duration.ofMillis(5);
    private final LoopHarness h = new LoopHarness();

    @AfterEach
    void close() {
        h.close();
    }

    private void awaitReady(int restarts) {
        await().atMost(WAIT).pollInterval(POLL).until(() -> {
            InstanceRecord r = h.instance("web-1");
            return r != null && r.state() == InstanceState.HEALTHY && r.restarts() == restarts;
        });
    }

    private List<Long> respawnDelaysMs() {
        return h.events(PlatformEvent.InstanceRespawning.class).stream().map(e -> e.delay().toMillis()).toList();
    }

    @Test
    void theFirstRespawnAfterAGoodRunStartsAtOnce() throws InterruptedException {
        h.open(nodes(1), Duration.ofSeconds(5));
        h.loop.deploy(web(1, RestartPolicy.defaults()).build()); // back-off from 1 s
        List<Long> exitToStartMicros = new ArrayList<>();

        for (int k = 1; k <= 10; k++) {
            awaitReady(k - 1);
            Thread.sleep(1100); // ready for over a second: a good run
            int starts = h.backend.startNanos.size();
            long exit = System.nanoTime();
            h.backend.crash("web-1", 137); // the backend's exit callback runs in here
            await().atMost(WAIT).pollInterval(POLL).until(() -> h.backend.startNanos.size() > starts);
            exitToStartMicros.add((h.backend.startNanos.get(starts) - exit) / 1000);
        }
        awaitReady(10);

        List<Long> sorted = new ArrayList<>(exitToStartMicros);
        Collections.sort(sorted);
        LoggerFactory.getLogger(ReconcilerRespawnTest.class).info(
                "exit seen -> Backend.start called, 10 respawns after a good run: p50 {} us, p90 {} us, max {} us",
                sorted.get(4), sorted.get(8), sorted.get(9));
        assertThat(respawnDelaysMs()).hasSize(10).containsOnly(0L);
        assertThat(sorted.get(4)).as("p50 exit -> start, us").isLessThan(20_000);
        assertThat(sorted.get(9)).as("slowest exit -> start, us (the back-off would be 1 s)").isLessThan(200_000);
    }

    @Test
    void theBackOffGrowsOnlyAcrossFailuresInARow() throws InterruptedException {
        h.open(nodes(1), Duration.ofSeconds(5));
        h.loop.deploy(web(1, new RestartPolicy(Duration.ofMillis(100), Duration.ofMillis(400), 2, Duration.ofMinutes(1))).build());
        awaitReady(0);
        Thread.sleep(1100);
        h.backend.crash("web-1", 137); // after a good run: at once

        for (int k = 1; k <= 4; k++) {
            awaitReady(k);
            h.backend.crash("web-1", 1); // died within a second of becoming ready: a failure
        }
        awaitReady(5);
        Thread.sleep(1100);
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
        await().atMost(WAIT).pollInterval(POLL).until(() -> h.backend.starts.size() == 3);
        h.backend.listenLate = false; // the starts after this one listen at once
        String id = "web-1";
        await().during(Duration.ofMillis(1200)).atMost(WAIT).until(() -> h.instance(id).state() == InstanceState.RUNNING);

        h.backend.listen(id); // ready after 1.2 s, dies at once: it ran for longer than resetAfter
        awaitReady(2);
        h.backend.crash(id, 1);
        awaitReady(3);

        assertThat(respawnDelaysMs()).containsExactly(1000L, 2000L, 0L);
    }
}
