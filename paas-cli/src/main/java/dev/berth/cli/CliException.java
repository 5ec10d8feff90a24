// A failure the berth command reports in one line and exit code 1: no server, a refused token, an API error.
package dev.berth.cli;

/** A failed command: its message is what the user reads (it says what to do); exit code 1. */
public final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A failure saying what happened and what to do. */
    public CliException(String message) {
        super(message);
    }

    /** The same, with its cause (not shown to the user). */
    public CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
