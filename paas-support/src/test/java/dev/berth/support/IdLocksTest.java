// IdLocks: one holder per id, re-entrant, and nothing kept once nobody holds or waits.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link IdLocks} with real threads. */
class IdLocksTest {
    private final IdLocks locks = new IdLocks();

    @Test
    void anIdIsHeldByOneThreadAtATimeAndOthersIdsAreFree() throws Exception {
        try (IdLocks.Held held = locks.lock("web-1")) {
            assertThat(CompletableFuture.supplyAsync(() -> locks.tryLock("web-1")).get(5, TimeUnit.SECONDS))
                    .as("held by this thread").isNull();
            assertThat(CompletableFuture.supplyAsync(() -> {
                IdLocks.Held other = locks.tryLock("web-2");
                if (other == null) {
                    return false;
                }
                other.close(); // released by the thread that holds it
                return true;
            }).get(5, TimeUnit.SECONDS)).as("another id is free").isTrue();
            try (IdLocks.Held again = locks.tryLock("web-1")) {
                assertThat(again).as("re-entrant for the holder").isNotNull();
            }
        }
        assertThat(locks.size()).as("nothing kept once released").isZero();
    }

    @Test
    void aWaiterGetsTheLockWhenItIsReleasedAndManyIdsLeaveNothingBehind() throws Exception {
        CountDownLatch waiting = new CountDownLatch(1);
        CompletableFuture<Boolean> waiter;
        try (IdLocks.Held held = locks.lock("web-1")) {
            waiter = CompletableFuture.supplyAsync(() -> {
                waiting.countDown();
                try (IdLocks.Held mine = locks.lock("web-1")) {
                    return true;
                }
            });
            assertThat(waiting.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(locks.size()).isEqualTo(1);
        }
        assertThat(waiter.get(5, TimeUnit.SECONDS)).isTrue();

        AtomicInteger inside = new AtomicInteger();
        CompletableFuture<?>[] all = new CompletableFuture<?>[8];
        for (int t = 0; t < all.length; t++) {
            all[t] = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 2000; i++) {
                    try (IdLocks.Held h = locks.lock("id-" + (i % 50))) {
                        inside.incrementAndGet();
                    }
                }
            });
        }
        CompletableFuture.allOf(all).get(30, TimeUnit.SECONDS);
        assertThat(inside.get()).isEqualTo(16_000);
        assertThat(locks.size()).as("every id forgotten").isZero();
    }
}
