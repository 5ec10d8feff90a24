// Reading a proxy's own log files for error messages: their last lines, their size, what was appended after an offset.
package dev.berth.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * What a router reads from its proxy's error log to tell why a start or reload failed: the last
 * lines, the size before a reload, what was appended since. A file that cannot be read reads as
 * empty. Stateless; thread-safe.
 */
public final class ProxyLogs {
    /** The most {@link #since} reads. */
    public static final int MAX_SINCE = 256 * 1024;

    private ProxyLogs() {
    }

    /** The last 10 lines of {@code file}; empty when it cannot be read. */
    public static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    /** The size of {@code file}; 0 when it does not exist yet. */
    public static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0; // not written yet
        }
    }

    /**
     * What {@code file} holds from {@code offset} on (from its start when it shrank: rotated or
     * truncated), at most {@link #MAX_SINCE} bytes, as UTF-8.
     */
    public static String since(Path file, long offset) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long from = ch.size() < offset ? 0 : offset;
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(MAX_SINCE, Math.max(0, ch.size() - from)));
            while (buf.hasRemaining() && ch.read(buf, from + buf.position()) > 0) {
                // fill
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
