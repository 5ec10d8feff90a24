// A byte sink that keeps the first N bytes of a command's output and counts the rest.
package dev.berth.support;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Keeps the first {@code cap} bytes written and counts what it drops, so an exec's output costs at
 * most {@code cap} bytes of memory however much the command prints. Thread-safe.
 */
public final class CappedOutput extends OutputStream {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final int cap;
    private long dropped;

    /** A sink that keeps at most {@code cap} bytes (at least 0). */
    public CappedOutput(int cap) {
        if (cap < 0) {
            throw new IllegalArgumentException("cap " + cap + " is not allowed: must be at least 0");
        }
        this.cap = cap;
    }

    @Override
    public synchronized void write(int b) {
        if (bytes.size() < cap) {
            bytes.write(b);
        } else {
            dropped++;
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        int keep = Math.max(0, Math.min(len, cap - bytes.size()));
        bytes.write(b, off, keep);
        dropped += len - keep;
    }

    /** The bytes kept. */
    public synchronized byte[] bytes() {
        return bytes.toByteArray();
    }

    /** The bytes dropped so far. */
    public synchronized long dropped() {
        return dropped;
    }

    /** The kept bytes as UTF-8, followed by a line saying how much was dropped when anything was. */
    public synchronized String text() {
        String s = bytes.toString(StandardCharsets.UTF_8);
        return dropped == 0 ? s : s + "\n[berth: output cut at " + cap + " bytes, " + dropped + " more dropped]\n";
    }
}
