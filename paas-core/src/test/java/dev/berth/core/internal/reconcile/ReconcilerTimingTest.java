// The loop's timing on a manual clock: a crash loop's starts counted exactly, far-off instants harmless.
package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.HealthCheck;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.NodeSpec;
import dev.berth.api.PlatformEvent;
import dev.berth.api.Resources;
import dev.berth.api.RestartPolicy;
import dev.berth.api.Rollout;
import dev.berth.core.Schedulers;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The loop's timing: the back-off bounds a crash loop, and no far-off instant can break a pass. On
 * {@link SteppedThreads}: the crash loop's starts are counted exactly on the loop's clock.
 */
class ReconcilerTimingTest {
    private static final Duration TICK = Duration.ofMillis(5);
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final SteppedThreads threads = new SteppedThreads(Instant.parse("2026-12-06T01:00:00Z"));
    private final FakeBackend backend = new FakeBackend();
    private final MemoryStore store = new MemoryStore();
    private final List<PlatformEvent> events = new CopyOnWriteArrayList<>();
    private Reconciler loop;

    private Reconciler open() {
        backend.clock = threads.clock();
        backend.crashLater = r -> threads.loop().schedule(r, 5, TimeUnit.MILLISECONDS);
        EventBus bus = new EventBus(Runnable::run);
        bus.add(events::add);
        Reconciler r = new Reconciler(new Wiring(List.of(NodeSpec.of("n1", Resources.builder().cpu(4).build())),
                backend, null, store, Schedulers.spread(), bus, threads.clock(), Duration.ofMillis(200), Duration.ofSeconds(1)),
                threads);
        r.start();
        threads.runUntilIdle();
        return r;
    }

    private void until(java.util.function.BooleanSupplier done) {
        threads.until(done, TICK, WAIT);
    }

    @AfterEach
    void close() {
        if (loop != null) {
            loop.close();
        }
    }

    private static AppSpec.Builder app(String name) {
        return AppSpec.builder(name).command("serve").instances(Instances.of(1));
    }

    @Test
    void aCrashLoopAtTheBackOffFloorCostsNoMoreStartsThanItsDelaysAllow() {
        RestartPolicy floor = new RestartPolicy(RestartPolicy.MIN_DELAY, Duration.ofMillis(400), 2, Duration.ofMinutes(1));
        Duration window = Duration.ofSeconds(3);
        // the most starts the delays allow in the window: the first, then one after each delay that fits
        int allowed = 1;
        Duration spent = floor.delayAfter(1);
        while (spent.compareTo(window) <= 0) {
            allowed++;
            spent = spent.plus(floor.delayAfter(allowed));
        }
        loop = open();
        loop.deploy(app("crasher").env(FakeBackend.CRASH, "yes").restartPolicy(floor).build());
        threads.runUntilIdle();
        assertThat(backend.starts).hasSize(1);
        threads.advance(window);
        int starts = backend.starts.size();

        assertThat(allowed).isEqualTo(9); // starts at 0, 0.1, 0.3, 0.7, 1.1, 1.5, 1.9, 2.3 and 2.7 s
        // each instance dies 5 ms after its start, so the n-th start comes 5 (n - 1) ms after the delays' sum
        assertThat(starts).as("starts in %s of instant crashes", window).isEqualTo(allowed);
        assertThat(events).filteredOn(e -> e instanceof PlatformEvent.InstanceRespawning)
                .extracting(e -> ((PlatformEvent.InstanceRespawning) e).delay())
                .allSatisfy(d -> assertThat(d).isBetween(RestartPolicy.MIN_DELAY, Duration.ofMillis(400)));
    }

    @Test
    void aFarOffRolloutDeadlineFromTheStoreNeitherFailsTheStartNorStopsTheLoop() {
        AppSpec web = app("web").build();
        Instant now = threads.clock().instant();
        store.apps.put("web", new AppRecord(web.toBuilder().env("V", "2").build(), "r2-x", false,
                new Rollout("r1-x", web, now, Instant.MAX), List.of()));

        loop = open();
        loop.deploy(app("api").build());

        until(() -> loop.view().instances().stream().filter(r -> r.state() == InstanceState.HEALTHY).count() == 2);
    }

    @Test
    void anAdoptedInstanceStartedAtTheEndOfTimeIsStillHealthChecked() {
        AppSpec web = app("web").env(AppSpec.PORT, "8080").healthCheck(HealthCheck.tcp()
                .withTimings(Duration.ofMillis(100), Duration.ofMillis(100)).withGracePeriod(Duration.ofMillis(500))).build();
        store.apps.put("web", new AppRecord(web, "r1-x", false));
        backend.running.put("web-1", new dev.berth.spi.RunningInstance("web-1", "web", "r1-x", "n1",
                new dev.berth.api.Endpoint("127.0.0.1", 1), "77", Instant.MAX));

        loop = open();

        // nothing listens on port 1: its grace period counts from when the loop saw it, then failed probes replace it
        until(() -> events.stream().anyMatch(e -> e instanceof PlatformEvent.InstanceUnhealthy));
        assertThat(loop.view().instances()).extracting(InstanceRecord::startedAt)
                .allSatisfy(at -> assertThat(at).isNotEqualTo(Instant.MAX));
    }
}
