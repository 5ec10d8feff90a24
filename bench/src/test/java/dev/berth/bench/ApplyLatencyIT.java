// ApplyLatency run small against a real haproxy: it works, and the Runtime API path is fast.
package dev.berth.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The measurement that benchmarks call, run small: it works, and the Runtime API path is fast. */
class ApplyLatencyIT {
    private static final Logger LOG = LoggerFactory.getLogger(ApplyLatencyIT.class);

    @TempDir
    Path dir;

    @Test
    void endpointChangesServeWithinMillisecondsAndReloadsWithinTheTimeout() {
        ApplyLatency.Result result = ApplyLatency.measure(dir, 20);

        LOG.info("apply latency: {}", result);
        assertThat(result.runtimeApi()).hasSize(20);
        assertThat(result.reload()).hasSize(20);
        // generous bounds: other tests may share the two cores
        assertThat(ApplyLatency.Result.quantile(result.runtimeApi(), 0.5)).isLessThan(Duration.ofMillis(50));
        assertThat(ApplyLatency.Result.quantile(result.reload(), 0.5)).isLessThan(Duration.ofSeconds(5));
        assertThat(result.runtimeApi()).allMatch(s -> s.apply().compareTo(s.serving()) <= 0);
    }
}
