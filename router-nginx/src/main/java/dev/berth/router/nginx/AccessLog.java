// The nginx router's access log, read as it grows (AccessLogTail) and summed per domain.
package dev.berth.router.nginx;

import dev.berth.api.Traffic;
import dev.berth.support.AccessLogTail;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the router's access log ({@code log_format berth}: time, domain, status, bytes sent,
 * request time, upstream, tab-separated) incrementally from where it last stopped and sums the
 * traffic per domain. Lines of the default server ({@code _}) and malformed lines are skipped.
 * Not thread-safe: the router calls it under its lock.
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

    /** One line: msec, domain, status, bytes sent, request time, upstream address. */
    void line(String line) {
        String[] f = line.split("\t", -1);
        if (f.length < 4 || f[1].isEmpty() || f[1].equals(NginxConfig.DEFAULT_SERVER_NAME)) {
            return;
        }
        long bytes;
        try {
            bytes = Long.parseLong(f[3]);
        } catch (NumberFormatException e) {
            return;
        }
        totals.merge(f[1], new Traffic(1, bytes), Traffic::plus);
    }
}
