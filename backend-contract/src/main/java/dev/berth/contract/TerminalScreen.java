// What a Terminal shows, read on a thread of its own, and keys typed into it: for the tests of every backend's terminals.
package dev.berth.contract;

import dev.berth.spi.Terminal;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A terminal's screen as text: its {@link Terminal#output} read until it ends on a daemon thread,
 * and keys typed into its {@link Terminal#input}. Thread-safe.
 */
public final class TerminalScreen {
    private final Terminal terminal;
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();

    /** Starts reading {@code terminal}'s output. */
    public TerminalScreen(Terminal terminal) {
        this.terminal = terminal;
        Thread t = new Thread(() -> read(terminal.output()), "terminal-screen");
        t.setDaemon(true);
        t.start();
    }

    private void read(InputStream in) {
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                synchronized (seen) {
                    seen.write(buf, 0, n);
                }
            }
        } catch (IOException e) {
            // the terminal ended
        }
    }

    /** Everything shown so far. */
    public String text() {
        synchronized (seen) {
            return seen.toString(StandardCharsets.UTF_8);
        }
    }

    /** The lines shown so far (a terminal ends them with CR LF). */
    public String[] lines() {
        return text().split("\r?\n");
    }

    /** Types {@code keys} (a carriage return ends a line, as the Enter key does). */
    public void type(String keys) {
        try {
            terminal.input().write(keys.getBytes(StandardCharsets.UTF_8));
            terminal.input().flush();
        } catch (IOException e) {
            throw new UncheckedIOException("typing into the terminal", e);
        }
    }
}
