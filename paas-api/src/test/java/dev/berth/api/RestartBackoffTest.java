package dev.berth.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The back-off never falls below its floor, never exceeds its ceiling and never overflows or truncates. */
class RestartBackoffTest {

    @Test
    void aZeroOrSubMillisecondInitialDelayIsRefusedSoACrashLoopCannotSpin() {
        for (Duration d : new Duration[] {Duration.ZERO, Duration.ofNanos(1), Duration.ofNanos(999_999), Duration.ofMillis(99)}) {
            assertThatThrownBy(() -> new RestartPolicy(d, Duration.ofMinutes(1), 2, Duration.ofMinutes(1)))
                    .isInstanceOf(InvalidSpecException.class).hasMessageContaining("restart.initialDelay")
                    .hasMessageContaining("from 100ms to 1h");
        }
    }

    @Test
    void everyDelayLiesBetweenTheInitialAndTheMaximumForEveryFailureCount() {
        Duration[] initials = {RestartPolicy.MIN_DELAY, Duration.ofNanos(100_000_001), Duration.ofMillis(1234), RestartPolicy.MAX_DELAY};
        double[] multipliers = {1, 1.0000001, 1.5, 2, 10};
        int[] counts = {Integer.MIN_VALUE, -1, 0, 1, 2, 3, 10, 31, 63, 64, 65, 100, 1_000, 1_000_000, Integer.MAX_VALUE};
        for (Duration initial : initials) {
            for (double m : multipliers) {
                RestartPolicy p = new RestartPolicy(initial, RestartPolicy.MAX_DELAY, m, Duration.ofMinutes(1));
                Duration previous = Duration.ZERO;
                for (int n : counts) {
                    Duration d = p.delayAfter(n);
                    assertThat(d).as("initial %s, multiplier %s, failures %d", initial, m, n)
                            .isGreaterThanOrEqualTo(initial).isGreaterThanOrEqualTo(RestartPolicy.MIN_DELAY)
                            .isLessThanOrEqualTo(RestartPolicy.MAX_DELAY).isGreaterThanOrEqualTo(previous);
                    previous = d;
                }
                assertThat(p.delayAfter(Integer.MAX_VALUE)).isEqualTo(m == 1 ? initial : RestartPolicy.MAX_DELAY);
            }
        }
    }

    @Test
    void theDelayGrowsExactlyWithoutTruncatingToMilliseconds() {
        RestartPolicy p = new RestartPolicy(Duration.ofMillis(100), Duration.ofMillis(700), 2, Duration.ofMinutes(1));
        assertThat(p.delayAfter(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(p.delayAfter(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(p.delayAfter(3)).isEqualTo(Duration.ofMillis(400));
        assertThat(p.delayAfter(4)).isEqualTo(Duration.ofMillis(700));
        RestartPolicy fine = new RestartPolicy(Duration.ofNanos(100_500_000), Duration.ofSeconds(1), 2, Duration.ofMinutes(1));
        assertThat(fine.delayAfter(2)).isEqualTo(Duration.ofMillis(201));
    }
}
