package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** ApiBench, small: it runs to the end and prints its one JSON line with every figure measured. */
class ApiBenchTest {
    @Test
    void printsOneLineOfFigures() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = new CommandLine(new ApiBench(new PrintStream(bytes, true, StandardCharsets.UTF_8)))
                .execute("--apps", "50", "--clients", "2", "--sse-clients", "3", "--seconds", "1");
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isZero();
        JsonNode line = new ObjectMapper().readTree(out.strip());
        assertThat(line.get("benchmark").asText()).isEqualTo("api");
        assertThat(line.get("apps").asInt()).isEqualTo(50);
        assertThat(line.get("getAppsPerSecond").asLong()).isPositive();
        assertThat(line.get("scaleCalls").asLong()).isPositive();
        assertThat(line.get("eventsPerSecondPerClient").asLong()).isPositive(); // every stream received events
        assertThat(line.get("followerGetP50Ms").asDouble()).isPositive(); // a follower forwarded every call
        assertThat(line.get("eventsPerSecondAllClients").asLong())
                .isGreaterThanOrEqualTo(3 * line.get("eventsPerSecondPerClient").asLong());
    }
}
