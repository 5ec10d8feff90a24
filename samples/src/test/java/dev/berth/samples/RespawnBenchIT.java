package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * RespawnBench runs end to end on a tiny count, prints its JSON line, and a healthy instance killed
 * with SIGKILL is back well within the restart policy's 1 s initial delay: its first restart after
 * a healthy run is immediate.
 */
class RespawnBenchIT {
    @Test
    void timesKillsAndTheJvmAloneAndAHealthyInstanceComesBackAtOnce() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = new CommandLine(new RespawnBench(new PrintStream(bytes, true, StandardCharsets.UTF_8)))
                .execute("--kills", "3", "--spacing", "1200", "--jvm-starts", "2");
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isZero();

        JsonNode line = new ObjectMapper().readTree(out.strip());
        assertThat(line.get("benchmark").asText()).isEqualTo("respawn");
        assertThat(line.get("kills").asInt()).isEqualTo(3);
        JsonNode respawn = line.get("killToAnsweringMs");
        assertThat(respawn.get("samples")).hasSize(3);
        assertThat(line.get("jvmAloneLaunchToAnsweringMs").get("samples")).hasSize(2);
        long p50 = respawn.get("p50").asLong();
        assertThat(p50).isPositive().isLessThanOrEqualTo(respawn.get("p90").asLong());
        assertThat(respawn.get("p90").asLong()).isLessThanOrEqualTo(respawn.get("max").asLong());
        // How fast is a figure for the README, not a test: RespawnIT checks from the events that the
        // first respawn after a healthy run waits no back-off (a median under 1 s failed on a slow CI machine).
    }

    @Test
    void badOptionsAreRefusedNamingTheOption() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new RespawnBench(new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)));
        cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
        assertThat(cl.execute("--kills", "0")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--kills: 0 is not allowed; use 1-1000");
        assertThat(cl.execute("--java-option", "Xshare:off")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--java-option: 'Xshare:off' is not allowed");
    }
}
