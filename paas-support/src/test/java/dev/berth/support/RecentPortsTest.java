// RecentPorts: a port handed out stays out for the memory, then is forgotten.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link RecentPorts} on a clock the test moves. */
class RecentPortsTest {
    @Test
    void aPortStaysOutForTheMemoryAndIsForgottenAfter() {
        AtomicLong now = new AtomicLong(1_000);
        RecentPorts ports = new RecentPorts(Duration.ofSeconds(60), now::get);
        ports.handedOut(20000);
        now.addAndGet(Duration.ofSeconds(30).toNanos());
        ports.handedOut(20001);

        assertThat(ports.recent()).containsExactlyInAnyOrder(20000, 20001);
        now.addAndGet(Duration.ofSeconds(31).toNanos());
        assertThat(ports.recent()).as("the first is a minute and a second old").containsExactly(20001);
        now.addAndGet(Duration.ofSeconds(30).toNanos());
        assertThat(ports.recent()).isEmpty();
    }
}
