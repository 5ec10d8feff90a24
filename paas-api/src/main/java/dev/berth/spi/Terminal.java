// An interactive terminal in an instance: a program on a pseudo-terminal, its keystrokes in and its screen out.
package dev.berth.spi;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * A program (a shell, usually) running in an instance on a pseudo-terminal of its own, as
 * {@link InstanceConsole#terminal} opened it: what is written to {@link #input} is typed (Ctrl-C
 * included, as byte 3: the terminal turns it into SIGINT for the program in front), what the
 * program shows is read from {@link #output} (stdout and stderr, as a terminal mixes them), and
 * {@link #resize} changes the window size (the program gets SIGWINCH). Thread-safe: input and
 * output are used from different threads.
 */
public interface Terminal extends AutoCloseable {

    /** Where keystrokes go. */
    OutputStream input();

    /** What the terminal shows; ends when the program has exited. */
    InputStream output();

    /** Sets the window size ({@code cols} and {@code rows}, 1-1000 each). */
    void resize(int cols, int rows);

    /** Waits for the program to exit and answers its exit code. */
    int waitFor() throws InterruptedException;

    /** Hangs up: the program gets SIGHUP, as when a terminal window closes. */
    @Override
    void close();

    /** Checks a window size: 1-1000 columns and rows. */
    static void checkSize(int cols, int rows) {
        if (cols < 1 || cols > 1000 || rows < 1 || rows > 1000) {
            throw new IllegalArgumentException("terminal size " + cols + "x" + rows
                    + " is not allowed: columns and rows must be 1-1000");
        }
    }
}
