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

    /**
     * Whether a process of this machine whose command line is {@code command} (such as
     * {@code sleep 61}) is in its terminal's foreground (its process group is the terminal's
     * foreground group, as /proc/PID/stat tells): from then on Ctrl-C reaches it, not its shell.
     * A process that merely exists may not be there yet: its shell sets the foreground a moment
     * after the fork.
     */
    public static boolean inForeground(String command) {
        try (java.util.stream.Stream<java.nio.file.Path> procs = java.nio.file.Files.list(java.nio.file.Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).anyMatch(p -> {
                try {
                    String cmd = new String(java.nio.file.Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ').strip();
                    if (!cmd.equals(command) && !cmd.endsWith("/" + command)) {
                        return false;
                    }
                    String stat = java.nio.file.Files.readString(p.resolve("stat"), StandardCharsets.US_ASCII);
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    return f[2].equals(f[5]); // pgrp == tpgid
                } catch (IOException | RuntimeException e) {
                    return false; // gone meanwhile
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("listing /proc", e);
        }
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
