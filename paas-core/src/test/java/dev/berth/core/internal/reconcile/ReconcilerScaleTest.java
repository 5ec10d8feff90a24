// A quick measurement of the loop at scale: many apps on many nodes over the fake backend, first deploy to all started.
package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.AppSpec;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.core.Schedulers;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deploys {@code berth.scale.apps} apps (default 30) of {@code berth.scale.instances} instances
 * (default 10) on {@code berth.scale.nodes} nodes (default: one per app) of 16 cpu / 64 GiB, each
 * instance 0.25 cpu / 256 MiB, with the fake backend (starts cost nothing) and no router, and logs
 * the time from the first {@code deploy} to every instance started and healthy. The figure is
 * logged, not asserted (timings belong to benchmarks); what is asserted is that every instance
 * runs, once, where the loop placed it.
 */
class ReconcilerScaleTest {
    private static final Logger log = LoggerFactory.getLogger(ReconcilerScaleTest.class);
    private final FakeBackend backend = new FakeBackend();
    private Reconciler loop;

    @AfterEach
    void close() {
        if (loop != null) {
            loop.close();
        }
        backend.close();
    }

    @Test
    void manyAppsOnManyNodesAllStartOnceAndTheTimeIsLogged() {
        int apps = Integer.getInteger("berth.scale.apps", 30);
        int each = Integer.getInteger("berth.scale.instances", 10);
        int nodeCount = Integer.getInteger("berth.scale.nodes", apps);
        int total = apps * each;
        List<NodeSpec> nodes = IntStream.rangeClosed(1, nodeCount)
                .mapToObj(i -> NodeSpec.of("n" + i, Resources.of(16, 64 * 1024))).toList();
        loop = new Reconciler(new Wiring(nodes, backend, null, new MemoryStore(), Schedulers.spread(),
                new EventBus(), Clock.systemUTC(), Duration.ofSeconds(5), Duration.ofSeconds(1)));
        loop.start();

        long[] deployNanos = new long[apps];
        long t0 = System.nanoTime();
        for (int a = 0; a < apps; a++) {
            long d0 = System.nanoTime();
            loop.deploy(AppSpec.builder(String.format("app%05d", a)).command("serve").instances(Instances.of(each))
                    .resources(Resources.of(0.25, 256)).build());
            deployNanos[a] = System.nanoTime() - d0;
        }
        long deployed = System.nanoTime() - t0;
        await().atMost(Duration.ofMinutes(15)).pollInterval(Duration.ofMillis(5)).until(() -> healthy() == total);
        long took = System.nanoTime() - t0;

        Arrays.sort(deployNanos);
        log.info("scale: {} apps x {} instances on {} nodes: all {} started {} ms after the first deploy ({} /s); "
                        + "deploy calls {} ms in all, p50 {} ms, p99 {} ms, max {} ms",
                apps, each, nodeCount, total, took / 1_000_000, Math.round(total / (took / 1e9)), deployed / 1_000_000,
                millis(deployNanos[apps / 2]), millis(deployNanos[Math.min(apps - 1, apps * 99 / 100)]),
                millis(deployNanos[apps - 1]));

        List<InstanceRecord> all = loop.view().instances();
        assertThat(backend.starts).as("starts: each instance once").hasSize(total).doesNotHaveDuplicates();
        assertThat(all).hasSize(total).allSatisfy(r -> assertThat(backend.running.get(r.id()).node()).isEqualTo(r.node()));
        Map<String, Long> perApp = all.stream().collect(Collectors.groupingBy(InstanceRecord::app, Collectors.counting()));
        assertThat(perApp).hasSize(apps).allSatisfy((app, n) -> assertThat(n).as(app).isEqualTo((long) each));
    }

    private long healthy() {
        return loop.view().instances().stream().filter(r -> r.state() == InstanceState.HEALTHY).count();
    }

    private static String millis(long nanos) {
        return String.format("%.2f", nanos / 1e6);
    }
}
