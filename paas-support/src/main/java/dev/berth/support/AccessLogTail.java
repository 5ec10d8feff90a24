// Reads a log file's complete lines written since the last read: the routers' access logs, counted incrementally.
package dev.berth.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The tail of a file that a proxy appends lines to: each {@link #read} hands over the complete
 * lines written since the last one (a line still being written waits for its newline), reading
 * from where it stopped, so a long-lived access log costs what was added, not its size. A file
 * that shrank (rotated or truncated) is read again from its start; a file that does not exist yet
 * has no lines. Bytes are read as ISO-8859-1, so no byte is lost or replaced. Not thread-safe:
 * one reader.
 */
public final class AccessLogTail {
    private static final int CHUNK = 64 * 1024;
    private final Path file;
    private long offset;

    /** The lines written after {@code startOffset}. */
    public AccessLogTail(Path file, long startOffset) {
        this.file = Objects.requireNonNull(file, "file");
        if (startOffset < 0) {
            throw new IllegalArgumentException("startOffset " + startOffset + " is not allowed: must not be negative");
        }
        this.offset = startOffset;
    }

    /** The lines written from now on: starts at the current end of {@code file} (0 when it does not exist yet). */
    public static AccessLogTail fromEnd(Path file) throws IOException {
        return new AccessLogTail(file, Files.exists(file) ? Files.size(file) : 0);
    }

    /** Hands each complete line appended since the last call to {@code line}, without its newline. */
    public void read(Consumer<String> line) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < offset) {
                offset = 0; // truncated or replaced: start over
            }
            ByteBuffer buf = ByteBuffer.allocate(CHUNK);
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
                    for (int start = 0, end; start <= nl; start = end + 1) {
                        end = pending.indexOf("\n", start);
                        line.accept(pending.substring(start, end));
                    }
                    offset += nl + 1;
                    pending.delete(0, nl + 1);
                }
            }
        } catch (NoSuchFileException e) {
            // nothing logged yet
        }
    }
}
