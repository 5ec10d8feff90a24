// A router's short commands, run for real: exit status and output, the proxy environment only, the time limit, no leftovers.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.BerthException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyCommandsTest {
    @TempDir
    Path dir;

    private List<Path> leftovers() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void stdoutAndStderrComeBackWithTheExitStatus() throws Exception {
        ProxyCommands.Result r = ProxyCommands.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), dir,
                Duration.ofSeconds(10));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.ok()).isFalse();
        assertThat(r.output()).isEqualTo("out\nerr");
        assertThat(ProxyCommands.run(List.of("true"), dir, Duration.ofSeconds(10)).ok()).isTrue();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void theCommandSeesOnlyTheProxyEnvironment() {
        ProxyCommands.Result r = ProxyCommands.run(List.of("env"), dir, Duration.ofSeconds(10));
        assertThat(r.ok()).isTrue();
        List<String> names = r.output().lines().map(l -> l.substring(0, l.indexOf('='))).toList();
        // env(1) prints exactly the environment it got: nothing but PATH and the locale
        assertThat(names).contains("PATH").allSatisfy(n -> assertThat(ProxyEnvironment.PASSED).contains(n));
    }

    @Test
    void aCommandThatOutlivesItsTimeLimitIsKilledAndSaysSo() throws Exception {
        long t0 = System.nanoTime();
        ProxyCommands.Result r = ProxyCommands.run(List.of("sh", "-c", "echo started; exec sleep 30"), dir,
                Duration.ofMillis(300));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        assertThat(r.exitCode()).isEqualTo(-1);
        assertThat(r.output()).isEqualTo("started (timed out after PT0.3S)");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aMissingProgramIsAnErrorNamingTheCommand() throws Exception {
        assertThatThrownBy(() -> ProxyCommands.run(List.of("/nonexistent/berth-proxy", "-t"), dir, Duration.ofSeconds(5)))
                .isInstanceOf(BerthException.class).hasMessageStartingWith("could not run [/nonexistent/berth-proxy, -t]: ");
        assertThat(leftovers()).isEmpty();
    }
}
