package dev.berth.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every duration of the model has a floor and a ceiling, checked at construction with a message naming both. */
class DurationBoundsTest {
    /** Larger than any Duration arithmetic in milliseconds or nanoseconds can hold. */
    private static final Duration HUGE = Duration.ofSeconds(100_000_000_000_000_000L);
    private static final Duration LARGEST = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);

    private static HealthCheck hc(Duration interval, Duration timeout, Duration grace) {
        return new HealthCheck(HealthCheck.Type.HTTP, "/health", interval, timeout, grace, 3);
    }

    private static RestartPolicy restart(Duration initial, Duration max, Duration reset) {
        return new RestartPolicy(initial, max, 2.0, reset);
    }

    private static final Duration S5 = Duration.ofSeconds(5);
    private static final Duration S2 = Duration.ofSeconds(2);
    private static final Duration MIN1 = Duration.ofMinutes(1);

    /** field, a constructor taking the value under test, and the range its message must state. */
    static Stream<Arguments> fields() {
        return Stream.of(
                Arguments.of("healthCheck.interval", (Function<Duration, Object>) d -> hc(d, Duration.ofMillis(10), S5),
                        "from 100ms to 1h"),
                Arguments.of("healthCheck.timeout", (Function<Duration, Object>) d -> hc(S5, d, S5), "from 10ms to 1h"),
                Arguments.of("healthCheck.gracePeriod", (Function<Duration, Object>) d -> hc(S5, S2, d), "from 0s to 1h"),
                Arguments.of("restart.initialDelay", (Function<Duration, Object>) d -> restart(d, Duration.ofHours(1), MIN1),
                        "from 100ms to 1h"),
                Arguments.of("restart.maxDelay", (Function<Duration, Object>) d -> restart(Duration.ofMillis(100), d, MIN1),
                        "from 100ms to 1h"),
                Arguments.of("restart.resetAfter", (Function<Duration, Object>) d -> restart(S2, MIN1, d), "from 1s to 1d"),
                Arguments.of("routing.connectTimeout", (Function<Duration, Object>) d -> new RouteSettings(1, d, MIN1),
                        "from 1ms to 1h"),
                Arguments.of("routing.readTimeout", (Function<Duration, Object>) d -> new RouteSettings(1, S5, d),
                        "from 1ms to 1d"),
                Arguments.of("update.deadline", (Function<Duration, Object>) d -> new UpdateStrategy(1, 1, d),
                        "from 1s to 1d"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fields")
    void hugeNegativeAndZeroDurationsAreRefusedByNameNeverWithAnArithmeticError(String field, Function<Duration, Object> make,
                                                                                String range) {
        for (Duration bad : new Duration[] {HUGE, LARGEST, Duration.ofDays(365), Duration.ofSeconds(-1), Duration.ofNanos(-1)}) {
            assertThatThrownBy(() -> make.apply(bad)).as("%s = %s", field, bad).isInstanceOf(InvalidSpecException.class)
                    .hasMessageStartingWith(field + ": ").hasMessageContaining(range)
                    .satisfies(e -> assertThat(((InvalidSpecException) e).field()).isEqualTo(field));
        }
        if (!field.equals("healthCheck.gracePeriod")) {
            assertThatThrownBy(() -> make.apply(Duration.ZERO)).isInstanceOf(InvalidSpecException.class)
                    .hasMessage(field + ": '0s' is not allowed; must be " + range);
        }
    }

    @Test
    void theMessageShowsTheValueAsAManifestWouldWriteIt() {
        assertThatThrownBy(() -> restart(Duration.ofNanos(500_000), MIN1, MIN1))
                .hasMessage("restart.initialDelay: '500us' is not allowed; must be from 100ms to 1h");
        assertThatThrownBy(() -> hc(Duration.ofHours(2), S2, S5))
                .hasMessage("healthCheck.interval: '2h' is not allowed; must be from 100ms to 1h");
        assertThatThrownBy(() -> new RouteSettings(1, S5, HUGE))
                .hasMessage("routing.readTimeout: '100000000000000000s' is not allowed; must be from 1ms to 1d");
        assertThatThrownBy(() -> hc(Duration.ofMillis(1500), Duration.ofMillis(1501), S5))
                .hasMessage("healthCheck.timeout: '1501ms' is not allowed; must not exceed the interval (1500ms)");
    }

    @Test
    void theFloorsAndCeilingsThemselvesAreAccepted() {
        assertThat(hc(HealthCheck.MIN_INTERVAL, HealthCheck.MIN_TIMEOUT, Duration.ZERO).interval()).isEqualTo(Duration.ofMillis(100));
        assertThat(hc(HealthCheck.MAX_INTERVAL, HealthCheck.MAX_INTERVAL, HealthCheck.MAX_GRACE_PERIOD).gracePeriod())
                .isEqualTo(Duration.ofHours(1));
        assertThat(restart(RestartPolicy.MIN_DELAY, RestartPolicy.MIN_DELAY, RestartPolicy.MIN_RESET_AFTER).initialDelay())
                .isEqualTo(Duration.ofMillis(100));
        assertThat(restart(RestartPolicy.MAX_DELAY, RestartPolicy.MAX_DELAY, RestartPolicy.MAX_RESET_AFTER).resetAfter())
                .isEqualTo(Duration.ofDays(1));
        assertThat(new RouteSettings(0, Duration.ofMillis(1), Duration.ofMillis(1)).readTimeout()).isEqualTo(Duration.ofMillis(1));
        assertThat(new RouteSettings(RouteSettings.MAX_BODY_MB, RouteSettings.MAX_CONNECT_TIMEOUT, RouteSettings.MAX_READ_TIMEOUT)
                .readTimeout()).isEqualTo(Duration.ofDays(1));
        assertThat(new UpdateStrategy(1, 1, UpdateStrategy.MAX_DEADLINE).deadline()).isEqualTo(Duration.ofDays(1));
    }

    @Test
    void theMaxDelayMayNotBeBelowTheInitialDelay() {
        assertThatThrownBy(() -> restart(Duration.ofSeconds(2), Duration.ofSeconds(1), MIN1))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessage("restart.maxDelay: '1s' is not allowed; must be at least the initial delay (2s) and at most 1h");
    }

    @Test
    void routeTimeoutsAreWholeMilliseconds() {
        assertThatThrownBy(() -> new RouteSettings(1, Duration.ofNanos(1_500_000), MIN1))
                .hasMessage("routing.connectTimeout: '1500us' is not allowed; must be whole milliseconds, from 1ms to 1h");
    }

    @Test
    void durationTextIsExactAndNeverOverflows() {
        assertThat(Checks.text(Duration.ZERO)).isEqualTo("0s");
        assertThat(Checks.text(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Checks.text(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(Checks.text(Duration.ofMinutes(2))).isEqualTo("2m");
        assertThat(Checks.text(Duration.ofDays(3))).isEqualTo("3d");
        assertThat(Checks.text(Duration.ofSeconds(1, 5))).isEqualTo("1000000005ns");
        assertThat(Checks.text(Duration.ofMillis(-250))).isEqualTo("-250ms");
        assertThat(Checks.text(LARGEST)).endsWith("ns");
        assertThat(Checks.text(Duration.ofSeconds(Long.MIN_VALUE))).isNotEmpty();
    }
}
