// The liveness watch: runs its check on one daemon thread, survives a failing check, and stops on close.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ProxyWatchTest {
    @Test
    void runsTheCheckRepeatedlyOnOneNamedDaemonThreadAndGoesOnAfterAFailure() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        try (ProxyWatch watch = ProxyWatch.start("nginx", Duration.ofMillis(50), () -> {
            threads.add(Thread.currentThread().getName() + (Thread.currentThread().isDaemon() ? " daemon" : ""));
            if (runs.incrementAndGet() == 2) {
                throw new IllegalStateException("nginx (pid 1) did not start");
            }
        })) {
            until(Duration.ofSeconds(10), () -> runs.get() >= 5);
        }
        assertThat(threads).containsExactly("berth-nginx-watch daemon");
    }

    @Test
    void closeStopsTheChecks() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        ProxyWatch watch = ProxyWatch.start("haproxy", Duration.ofMillis(50), runs::incrementAndGet);
        until(Duration.ofSeconds(10), () -> runs.get() >= 1);
        watch.close();
        int after = runs.get();
        Thread.sleep(300);
        assertThat(runs.get()).isEqualTo(after);
    }

    @Test
    void anIntervalOutOfRangeIsRefusedByName() {
        assertThatThrownBy(() -> ProxyWatch.start("nginx", Duration.ofMillis(1), () -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("livenessInterval: PT0.001S is not allowed; must be from PT0.05S to PT10M");
        assertThatThrownBy(() -> ProxyWatch.checkInterval("livenessInterval", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("livenessInterval: null");
    }

    /** Polls {@code condition} every 10 ms until it holds; fails after {@code limit}. */
    static void until(Duration limit, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + limit);
            }
            Thread.sleep(10);
        }
    }
}
