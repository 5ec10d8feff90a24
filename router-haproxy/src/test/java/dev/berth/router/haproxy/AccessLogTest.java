package dev.berth.router.haproxy;

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
        Files.writeString(file, "1.000 old.com 200 999 3 1 be_old/srv1\n");
        AccessLog log = AccessLog.fromEnd(file);

        // haproxy's counts of 115 and 65 bytes with 0 and 1 header lines: 100 and 54 bytes in HTTP/1
        append(file, "1.100 a.com 200 115 0 1 be_web/srv1\n"
                + "1.200 a.com 503 65 1 0 be_web/<NOSRV>\n"
                + "1.300 - 404 130 2 0 berth_default/<NOSRV>\n"
                + "garbage\n"
                + "1.350 A#20B 200 5 0 0 x/y\n"
                + "1.400 b.com 200 not-a-number 0 0 be_api/srv1\n"
                + "1.500 b.com 200 22 0 0 be_api/srv1"); // no newline yet: not counted
        assertThat(log.read()).isEqualTo(Map.of("a.com", new Traffic(2, 154)));

        append(file, "\n1.600 b.com 200 0 - 0 be_api/srv2\n");
        assertThat(log.read()).isEqualTo(Map.of("a.com", new Traffic(2, 154), "b.com", new Traffic(2, 7)));
    }

    @Test
    void haproxysCountBecomesTheHttp1Size() {
        // HTTP/1.1 404 Not Found, content-length: 51, content-type: text/plain, 51 bytes: 123 on the wire
        assertThat(AccessLog.http1Bytes(130, "2")).isEqualTo(123);
        // HTTP/1.1 200 OK, date, content-type, content-length: 2, 2 bytes: 103 on the wire
        assertThat(AccessLog.http1Bytes(106, "3")).isEqualTo(103);
        assertThat(AccessLog.http1Bytes(0, "-")).isZero();
        assertThat(AccessLog.http1Bytes(40, "-")).isEqualTo(40);
    }

    @Test
    void aMissingLogIsNoTraffic() throws Exception {
        assertThat(AccessLog.fromEnd(dir.resolve("none.log")).read()).isEmpty();
    }

    @Test
    void aTruncatedLogStartsOver() throws Exception {
        Path file = dir.resolve("access.log");
        AccessLog log = AccessLog.fromEnd(file);
        Files.writeString(file, "1.0 a.com 200 25 0 0 be_web/srv1\n1.1 a.com 200 25 0 0 be_web/srv1\n");
        assertThat(log.read()).isEqualTo(Map.of("a.com", new Traffic(2, 20)));

        Files.writeString(file, "2.0 a.com 200 20 0 0 be_web/srv1\n");
        assertThat(log.read()).isEqualTo(Map.of("a.com", new Traffic(3, 25)));
    }

    private static void append(Path file, String text) throws Exception {
        Files.writeString(file, text, StandardOpenOption.APPEND);
    }
}
