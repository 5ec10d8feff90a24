// Small helpers of the samples' tests: free ports, words of an output, deleting a dir once nothing writes there.
package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Small helpers the samples' integration tests share. */
final class TestTools {
    private TestTools() {
    }

    /** A port nothing listens on right now (for a router or git server the test starts). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Runs the docker CLI with {@code args}; returns its trimmed output (stdout and stderr). */
    static String docker(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("docker"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s ended within 60 s", argv).isTrue();
        return out;
    }

    /** The non-blank words of {@code output} (ids listed by {@code docker ps -q}, say). */
    static List<String> words(String output) {
        return output.isBlank() ? List.of() : List.of(output.trim().split("\\s+"));
    }
}
