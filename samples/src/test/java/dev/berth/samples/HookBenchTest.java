package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** HookBench, small: both parts finish and the JSON line carries every figure. */
class HookBenchTest {
    @Test
    void printsOneLineWithTheThroughputAndTheLag() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = new CommandLine(new HookBench(new PrintStream(bytes, true, StandardCharsets.UTF_8)))
                .execute("--apps", "20", "--instances", "2", "--lag-apps", "4");
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isZero();
        JsonNode line = new ObjectMapper().readTree(out.strip());
        assertThat(line.get("benchmark").asText()).isEqualTo("hooks");
        assertThat(line.get("completed").asBoolean()).isTrue();
        assertThat(line.get("jobs").asLong()).isEqualTo(40);
        assertThat(line.get("jobsPerSecond").asLong()).isPositive();
        assertThat(line.get("lagUps").asInt()).isEqualTo(20); // every UP reached the webhook
        assertThat(line.get("lagP99Ms").asDouble()).isGreaterThanOrEqualTo(line.get("lagP50Ms").asDouble());
    }
}
