package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** RouterBench runs end to end against the real proxies, on a small table. */
class RouterBenchIT {
    @Test
    void measuresEverySwitchKindAndTheWholeTable() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = new CommandLine(new RouterBench(new PrintStream(bytes, true, StandardCharsets.UTF_8)))
                .execute("--rounds", "3", "--apps", "20", "--instances", "3", "--repeat", "2");
        String out = bytes.toString(StandardCharsets.UTF_8);

        assertThat(code).as(out).isZero();
        assertThat(out).contains("nginx    switch, reload: apply() to new upstream serving")
                .contains("haproxy  switch, runtime API (endpoint change): apply() to new upstream serving")
                .contains("haproxy  switch, reload (domain added/removed): apply()")
                .contains("whole table, 20 apps x 3 instances: render + validate only")
                .contains("whole table, 20 apps x 3 instances: apply()").contains("(n=3)").contains("(n=2)");
    }
}
