// ScaleBench's smallest workload completes and prints one valid JSON line; bad usage is refused.
package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScaleBenchTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return ScaleBench.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void theSmallestWorkloadStartsEveryInstanceAndPrintsOneJsonLine() throws Exception {
        int code = run("--workload", "apps100x10", "--timeout", "300");

        String stdout = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        List<String> lines = stdout.lines().toList();
        assertThat(lines).hasSize(1);
        JsonNode line = new ObjectMapper().readTree(lines.get(0));
        assertThat(line.get("workload").asText()).isEqualTo("apps100x10");
        assertThat(line.get("completed").asBoolean()).isTrue();
        assertThat(line.get("apps").asInt()).isEqualTo(100);
        assertThat(line.get("instances").asInt()).isEqualTo(1000);
        assertThat(line.get("nodes").asInt()).isEqualTo(100);
        assertThat(line.get("started").asLong()).isEqualTo(1000);
        assertThat(line.get("deployCalls").asInt()).isEqualTo(100);
        assertThat(line.get("ms").asDouble()).isPositive();
        assertThat(line.get("instancesPerSecond").asDouble()).isPositive();
        assertThat(line.get("deployP99Ms").asDouble()).isGreaterThanOrEqualTo(line.get("deployP50Ms").asDouble());
        assertThat(line.get("heapUsedAfterGcMb").asLong()).isPositive();
        assertThat(line.get("store").asText()).isEqualTo("file");
    }

    @Test
    void theMemoryStoreMeasuresTheLoopWithoutTheDisk() throws Exception {
        int code = run("--workload", "apps100x10", "--timeout", "300", "--store", "memory");

        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        JsonNode line = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow());
        assertThat(line.get("store").asText()).isEqualTo("memory");
        assertThat(line.get("started").asLong()).isEqualTo(1000);
    }

    @Test
    void aNodeCutOffHasItsHundredInstancesStartedElsewhereAndTheLineSaysHowLongPastNodeDownAfter() throws Exception {
        int code = run("--workload", "node-down", "--timeout", "120", "--store", "memory");

        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(1); // its base (apps100x100) was only set up
        JsonNode line = new ObjectMapper().readTree(lines.get(0));
        assertThat(line.get("workload").asText()).isEqualTo("node-down");
        assertThat(line.get("completed").asBoolean()).isTrue();
        assertThat(line.get("started").asLong()).isEqualTo(100);
        assertThat(line.get("nodeDownAfterMs").asLong()).isEqualTo(5000);
        assertThat(line.get("ms").asDouble()).isGreaterThanOrEqualTo(5000); // nothing moves before the node is down
        assertThat(line.get("beyondNodeDownAfterMs").asDouble()).isEqualTo(line.get("ms").asDouble() - 5000, within(0.2));
    }

    @Test
    void aScaleWorkloadAddsOneInstanceTwentyOneTimesAndReportsTheMedianAndTheSlowest() throws Exception {
        int code = run("--workload", "scale-one", "--timeout", "300", "--store", "memory");

        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(1);
        JsonNode line = new ObjectMapper().readTree(lines.get(0));
        assertThat(line.get("workload").asText()).isEqualTo("scale-one");
        assertThat(line.get("completed").asBoolean()).isTrue();
        assertThat(line.get("samples").asInt()).isEqualTo(21);
        assertThat(line.get("started").asInt()).isEqualTo(21);
        assertThat(line.get("deployCalls").asInt()).isEqualTo(21);
        assertThat(line.get("maxMs").asDouble()).isGreaterThanOrEqualTo(line.get("p99Ms").asDouble())
                .isGreaterThanOrEqualTo(line.get("ms").asDouble());
    }

    @Test
    void anUnknownStoreIsAUsageError() {
        assertThat(run("--store", "zk")).isEqualTo(ScaleBench.USAGE);

        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--store 'zk'", "file or memory");
    }

    @Test
    void anUnknownWorkloadIsAUsageErrorNamingTheKnownOnes() {
        assertThat(run("--workload", "apps7")).isEqualTo(ScaleBench.USAGE);

        assertThat(err.toString(StandardCharsets.UTF_8)).contains("'apps7'", "apps100x10", "app1x10000");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void aTimeoutOutOfRangeIsAUsageError() {
        assertThat(run("--workload", "apps100x10", "--timeout", "0")).isEqualTo(ScaleBench.USAGE);

        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--timeout 0", "1-86400");
    }

    @Test
    void percentilesAreNearestRank() {
        long[] sorted = new long[100];
        for (int i = 0; i < 100; i++) {
            sorted[i] = i + 1;
        }

        assertThat(ScaleRun.percentile(sorted, 0.50)).isEqualTo(50);
        assertThat(ScaleRun.percentile(sorted, 0.99)).isEqualTo(99);
        assertThat(ScaleRun.percentile(new long[] {7}, 0.99)).isEqualTo(7);
        assertThat(ScaleRun.percentile(new long[0], 0.5)).isZero();
    }
}
