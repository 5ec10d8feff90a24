// The local terminal berth shell runs in: its size, raw mode while the shell runs, and restoring it after.
package dev.berth.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The controlling terminal ({@code /dev/tty}) through {@code stty}: its size, raw mode without
 * echo (every key, Ctrl-C included, goes to the remote program as typed), and the settings it had
 * before, restored at the end. Absent when berth runs without a terminal (a pipe, a script): then
 * keys are read as they come and the size is 80x24.
 */
final class LocalTty {
    private static final File TTY = new File("/dev/tty");
    private final String saved;

    private LocalTty(String saved) {
        this.saved = saved;
    }

    /** The terminal, when berth runs in one. */
    static Optional<LocalTty> open() {
        if (System.console() == null || !TTY.canRead()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new LocalTty(stty("-g").strip()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Columns and rows, such as {@code [80, 24]}. */
    int[] size() {
        try {
            String[] rowsCols = stty("size").strip().split("\\s+");
            return new int[] {Integer.parseInt(rowsCols[1]), Integer.parseInt(rowsCols[0])};
        } catch (IOException | RuntimeException e) {
            return new int[] {80, 24};
        }
    }

    /** Raw mode, no echo: the remote terminal echoes and interprets keys. */
    void raw() throws IOException {
        stty("raw", "-echo");
    }

    /** The settings it had when opened. */
    void restore() {
        try {
            stty(saved);
        } catch (IOException e) {
            System.err.println("berth: cannot restore the terminal's settings (run: stty sane): " + e.getMessage());
        }
    }

    private static String stty(String... args) throws IOException {
        List<String> argv = new java.util.ArrayList<>(List.of("stty"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectInput(TTY).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        try {
            if (p.waitFor() != 0) {
                throw new IOException("stty " + String.join(" ", args) + " exited with " + p.exitValue());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return out;
    }
}
