// The haproxy router's access log, read as it grows (AccessLogTail) and summed per domain.
package dev.berth.router.haproxy;

import dev.berth.api.Routing;
import dev.berth.api.Traffic;
import dev.berth.support.AccessLogTail;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the router's access log ({@link HaproxyConfig#LOG_FORMAT}: time, domain, status, haproxy's
 * byte count, response header lines, total time, backend/server, space-separated) incrementally
 * from where it last stopped and sums the traffic per domain. Lines of unknown hosts ({@code -})
 * and malformed lines are skipped. Not thread-safe: the router calls it under its lock.
 *
 * <p>Bytes sent are the response's size in HTTP/1, as nginx's {@code $bytes_sent} counts it.
 * haproxy's {@code %B} counts a response in its internal (HTX) form instead: the status line as its
 * three parts plus a 20-byte descriptor, each header line as its name and value, the end of the
 * headers as 1 byte, then the body. In HTTP/1 the status line has two spaces and CRLF (16 bytes
 * less), each header line ": " and CRLF (4 more) and the empty line 2 bytes (1 more). The sum is
 * exact for what haproxy forwards; what haproxy's HTTP/1 writer adds on its own is not in it: a
 * {@code Connection} header when the connection closes (or stays open) against what the client's
 * HTTP version implies, and chunk sizes when a body has no Content-Length.
 */
final class AccessLog {
    private final AccessLogTail tail;
    private final Map<String, Traffic> totals = new TreeMap<>();

    /** Counts the lines {@code tail} hands over. */
    AccessLog(AccessLogTail tail) {
        this.tail = tail;
    }

    /** Starts counting at the current end of {@code file} (or at 0 when it does not exist yet). */
    static AccessLog fromEnd(Path file) throws IOException {
        return new AccessLog(AccessLogTail.fromEnd(file));
    }

    /** Reads what was appended since the last call and returns the totals. */
    Map<String, Traffic> read() throws IOException {
        tail.read(this::line);
        return Map.copyOf(totals);
    }

    /** One line: time, domain, status, bytes (HTX), header lines, total time, backend/server. */
    void line(String line) {
        String[] f = line.split(" ", -1);
        if (f.length < 7 || f[1].isEmpty() || f[1].equals(HaproxyConfig.NO_DOMAIN)
                || !Routing.isHostName(f[1])) {
            return;
        }
        long bytes;
        try {
            bytes = http1Bytes(Long.parseLong(f[3]), f[4]);
        } catch (NumberFormatException e) {
            return;
        }
        totals.merge(f[1], new Traffic(1, bytes), Traffic::plus);
    }

    /**
     * The HTTP/1 size of a response haproxy counted as {@code htxBytes} with {@code headerLines}
     * header lines ({@code -} when no response was produced: then haproxy's count as it is).
     */
    static long http1Bytes(long htxBytes, String headerLines) {
        if (htxBytes <= 0 || headerLines.equals("-")) {
            return Math.max(0, htxBytes);
        }
        return Math.max(0, htxBytes - 16 + 4 * Long.parseLong(headerLines) + 1);
    }
}
