package dev.berth.router.haproxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the router's access log ({@link HaproxyConfig#LOG_FORMAT}: time, domain, status, bytes
 * sent, total time, backend/server, space-separated) incrementally from where it last stopped and
 * sums the traffic per domain. Lines of unknown hosts ({@code -}) and malformed lines are skipped.
 * Not thread-safe: the router calls it under its lock.
 */
final class AccessLog {
    private final Path file;
    private final Map<String, Traffic> totals = new TreeMap<>();
    private long offset;

    /** Counts what is written after {@code startOffset}. */
    AccessLog(Path file, long startOffset) {
        this.file = file;
        this.offset = startOffset;
    }

    /** Starts counting at the current end of {@code file} (or at 0 when it does not exist yet). */
    static AccessLog fromEnd(Path file) throws IOException {
        return new AccessLog(file, Files.exists(file) ? Files.size(file) : 0);
    }

    /** Reads what was appended since the last call and returns the totals. */
    Map<String, Traffic> read() throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < offset) {
                offset = 0; // truncated or replaced: start over
            }
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            StringBuilder pending = new StringBuilder();
            long pos = offset;
            while (pos < size) {
                buf.clear();
                int n = ch.read(buf, pos);
                if (n <= 0) {
                    break;
                }
                pos += n;
                pending.append(new String(buf.array(), 0, n, StandardCharsets.ISO_8859_1));
                int nl = pending.lastIndexOf("\n");
                if (nl >= 0) {
                    String complete = pending.substring(0, nl + 1);
                    consume(complete);
                    offset += complete.length();
                    pending.delete(0, nl + 1);
                }
            }
        } catch (NoSuchFileException e) {
            // nothing logged yet
        }
        return Map.copyOf(totals);
    }

    private void consume(String lines) {
        int start = 0;
        while (start < lines.length()) {
            int end = lines.indexOf('\n', start);
            line(lines.substring(start, end));
            start = end + 1;
        }
    }

    /** One line: time, domain, status, bytes sent, total time, backend/server. */
    void line(String line) {
        String[] f = line.split(" ", -1);
        if (f.length < 6 || f[1].isEmpty() || f[1].equals(HaproxyConfig.NO_DOMAIN)
                || !HaproxyConfig.DOMAIN.matcher(f[1]).matches()) {
            return;
        }
        long bytes;
        try {
            bytes = Long.parseLong(f[3]);
        } catch (NumberFormatException e) {
            return;
        }
        totals.merge(f[1], new Traffic(1, bytes), (a, b) -> a.plus(b.requests(), b.bytesSent()));
    }
}
