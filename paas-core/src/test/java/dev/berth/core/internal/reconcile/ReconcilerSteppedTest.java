// The loop stepped on a manual clock (SteppedThreads): back-off timings checked to the millisecond, with no waiting.
package dev.berth.core.internal.reconcile;

import static dev.berth.core.internal.reconcile.LoopHarness.nodes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.AppSpec;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.api.RestartPolicy;
import dev.berth.core.Schedulers;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The control loop on {@link SteppedThreads}: every task runs on the test's thread when the test
 * steps it, and timers fall due on a clock the test advances, so a back-off is checked exactly
 * (one millisecond early: nothing; on time: started) instead of waited for. Events are delivered
 * on the test's thread too, as the loop publishes them.
 */
class ReconcilerSteppedTest {
    private final SteppedThreads threads = new SteppedThreads(Instant.parse("2026-12-05T12:00:00Z"));
    private final FakeBackend backend = new FakeBackend();
    private final List<PlatformEvent> events = new CopyOnWriteArrayList<>();
    private Reconciler loop;

    @AfterEach
    void close() {
        if (loop != null) {
            loop.close();
        }
        backend.close();
    }

    private void open() {
        EventBus bus = new EventBus(Runnable::run);
        bus.add(events::add);
        loop = new Reconciler(new Wiring(nodes(1), backend, null, new MemoryStore(), Schedulers.spread(), bus,
                threads.clock(), Duration.ofSeconds(5), Duration.ofSeconds(1)), threads);
        loop.start();
    }

    /** A worker (no PORT: ready once started, no probes) restarting 100, 200, 400, 400 ms after failures in a row. */
    private static AppSpec worker() {
        return AppSpec.builder("worker").command("work").instances(Instances.of(1))
                .resources(Resources.builder().cpu(1).build())
                .restartPolicy(new RestartPolicy(Duration.ofMillis(100), Duration.ofMillis(400), 2, Duration.ofMinutes(1)))
                .build();
    }

    /** An app of no instances: deploying it (again) only makes the loop run a pass. */
    private static AppSpec idle() {
        return AppSpec.builder("idle").command("idle").instances(Instances.of(0)).build();
    }

    private InstanceRecord only() {
        List<InstanceRecord> all = loop.view().instancesOf("worker");
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    private List<Long> respawnDelaysMs() {
        return events.stream().filter(e -> e instanceof PlatformEvent.InstanceRespawning)
                .map(e -> ((PlatformEvent.InstanceRespawning) e).delay().toMillis()).toList();
    }

    @Test
    void aCrashLoopRespawnsExactlyWhenEachBackOffStepEndsAndAtOnceAfterAGoodRun() {
        open();
        loop.deploy(worker());
        threads.runUntilIdle();
        assertThat(only().state()).isEqualTo(InstanceState.HEALTHY);
        assertThat(backend.startNanos).hasSize(1);

        long[] steps = {100, 200, 400, 400};
        for (int k = 0; k < steps.length; k++) {
            backend.crash("worker-1", 1); // at once after being ready: a failure
            threads.runUntilIdle();
            assertThat(only().state()).isEqualTo(InstanceState.EXITED);
            threads.advance(Duration.ofMillis(steps[k] - 1));
            loop.deploy(idle()); // a pass now, 1 ms early, for another reason
            threads.runUntilIdle();
            assertThat(backend.startNanos).as("1 ms before the back-off of %d ms ends", steps[k]).hasSize(k + 1);
            threads.advance(Duration.ofMillis(1));
            assertThat(backend.startNanos).as("when the back-off of %d ms ends", steps[k]).hasSize(k + 2);
            assertThat(only().state()).isEqualTo(InstanceState.HEALTHY);
        }

        threads.advance(Duration.ofSeconds(2)); // ready for two seconds: a good run
        backend.crash("worker-1", 137);
        threads.runUntilIdle();
        assertThat(backend.startNanos).as("after a good run: at once, no timer").hasSize(steps.length + 2);
        assertThat(respawnDelaysMs()).containsExactly(100L, 200L, 400L, 400L, 0L);
        assertThat(only().restarts()).isEqualTo(5);
    }
}
