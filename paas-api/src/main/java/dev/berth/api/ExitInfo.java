package dev.berth.api;

import java.time.Instant;
import java.util.Objects;

/**
 * How an instance ended. Immutable.
 *
 * @param code   the exit code, or {@link #UNKNOWN} when it could not be learned (a process this
 *               JVM did not start, a signal)
 * @param at     when the exit was seen
 * @param reason a short human-readable description ("exited with 1", "killed by SIGKILL")
 */
public record ExitInfo(int code, Instant at, String reason) {
    /** The code when the real one is not known. */
    public static final int UNKNOWN = -1;

    public ExitInfo {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(reason, "reason");
    }
}
