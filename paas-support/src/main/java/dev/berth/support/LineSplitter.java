// Splits a stream of UTF-8 bytes into lines of at most 4 KiB each, whatever the length of the input's lines.
package dev.berth.support;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Splits UTF-8 bytes into lines (without the newline or a trailing CR) and hands each to a sink.
 * Keeps at most {@link OutputCaps#LINE_BYTES} bytes of a line, cut at a character boundary, and
 * counts the rest into {@code "... (N bytes cut)"}: a line of any length costs at most 4 KiB of
 * memory. Not thread-safe: callers serialize.
 */
public final class LineSplitter {
    private final Consumer<String> sink;
    private final byte[] line = new byte[OutputCaps.LINE_BYTES];
    private int size;
    private long cut;

    /** A splitter that hands every line to {@code sink}, on the thread that feeds it. */
    public LineSplitter(Consumer<String> sink) {
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /** Feeds one byte (the low 8 bits of {@code b}); a newline hands the line to the sink. */
    public void write(int b) {
        if (b == '\n') {
            emit();
        } else if (size < line.length) {
            line[size++] = (byte) b;
        } else {
            cut++;
        }
    }

    /** Feeds bytes; every complete line goes to the sink. */
    public void write(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        for (int i = off; i < off + len; i++) {
            write(b[i]);
        }
    }

    /** Hands a pending line without its newline to the sink, if there is one. */
    public void flush() {
        if (size > 0 || cut > 0) {
            emit();
        }
    }

    private void emit() {
        int end = size;
        long dropped = cut;
        if (dropped > 0) {
            // never half a character: back up to the start of an incomplete last one
            int lead = end - 1;
            while (lead > 0 && lead > end - 4 && (line[lead] & 0xC0) == 0x80) {
                lead--;
            }
            int b = line[lead] & 0xFF;
            int need = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            if (lead + need > end) {
                dropped += end - lead;
                end = lead;
            }
        } else if (end > 0 && line[end - 1] == '\r') {
            end--;
        }
        String s = new String(line, 0, end, StandardCharsets.UTF_8);
        size = 0;
        cut = 0;
        sink.accept(dropped > 0 ? s + OutputCaps.marker(dropped) : s);
    }
}
