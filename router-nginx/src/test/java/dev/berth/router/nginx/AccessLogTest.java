package dev.berth.router.nginx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.Traffic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessLogTest {
    @TempDir
    Path dir;

    @Test
    void sumsRequestsAndBytesPerDomainIncrementally() throws Exception {
        Path file = dir.resolve("access.log");
        Files.writeString(file, "1.0\told.com\t200\t999\t0.001\t-\n");
        AccessLog log = AccessLog.fromEnd(file);

        append(file, "1.1\ta.com\t200\t100\t0.001\t127.0.0.1:1\n"
                + "1.2\ta.com\t503\t50\t0.000\t-\n"
                + "1.3\t_\t404\t70\t0.000\t-\n"
                + "garbage\n"
                + "1.4\tb.com\t200\tnot-a-number\t0.0\t-\n"
                + "1.5\tb.com\t200\t7\t0.0\t-"); // no newline yet: not counted
        assertThat(log.read()).isEqualTo(Map.of("a.com", new Traffic(2, 150)));

        append(file, "\n1.6\tb.com\t200\t3\t0.0\t-\n");
        assertThat(log.read()).isEqualTo(Map.of("a.com", new Traffic(2, 150), "b.com", new Traffic(2, 10)));
    }

    @Test
    void aMissingLogIsNoTraffic() throws Exception {
        assertThat(AccessLog.fromEnd(dir.resolve("none.log")).read()).isEmpty();
    }

    private static void append(Path file, String text) throws Exception {
        Files.writeString(file, text, StandardOpenOption.APPEND);
    }
}
