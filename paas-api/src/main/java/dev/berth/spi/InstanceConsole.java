package dev.berth.spi;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.api.ExecResult;
import dev.berth.api.NotFoundException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Reads an instance's logs and runs commands in it. Thread-safe. */
public interface InstanceConsole {

    /** The last {@code lines} lines of the instance's output (stdout and stderr). */
    List<String> logs(String instanceId, int lines);

    /**
     * Follows the instance's output from now on, handing each new line to {@code consumer} on a
     * backend thread, until the returned handle is closed.
     */
    AutoCloseable follow(String instanceId, Consumer<String> consumer);

    /** Runs {@code argv} in the instance's directory and env, waiting at most {@code timeout}. */
    ExecResult exec(String instanceId, List<String> argv, Duration timeout);

    /**
     * The environment the instance's process runs with, as the backend set it (with
     * {@link AppSpec#RANDOM_PORT} values replaced by their ports), read from the running instance.
     *
     * @throws NotFoundException when no such instance runs
     * @throws BackendException  when this backend cannot tell
     */
    default Map<String, String> environment(String instanceId) {
        throw new BackendException("instance '" + instanceId + "': this backend cannot read an instance's environment");
    }

    /**
     * Runs {@code argv} (a shell, usually) in the instance's directory, environment and user on a
     * pseudo-terminal of {@code cols} by {@code rows}: Docker's {@code exec -it}, SSH with a PTY,
     * a local pseudo-terminal for a process. The caller closes it.
     *
     * @throws NotFoundException when no such instance runs
     * @throws BackendException  when this backend cannot open a terminal
     */
    default Terminal terminal(String instanceId, List<String> argv, int cols, int rows) {
        throw new BackendException("instance '" + instanceId + "': this backend cannot open a terminal");
    }

    /**
     * What the backend knows of a running instance, for people and tools: for a container its id,
     * image, state and limits; for a process its pid and directory. Keys are backend-specific,
     * lowercase, dot-separated, in a stable order.
     *
     * @throws NotFoundException when no such instance runs
     */
    default Map<String, String> describe(String instanceId) {
        throw new BackendException("instance '" + instanceId + "': this backend cannot describe an instance");
    }

    /**
     * Checks a command for {@link #exec} or {@link #terminal}: a non-empty list of arguments, none
     * null or holding NUL (they are passed as they are, never through a shell).
     *
     * @throws NullPointerException     if {@code argv} is null
     * @throws IllegalArgumentException naming the value and what is allowed
     */
    static void checkArgv(List<String> argv) {
        java.util.Objects.requireNonNull(argv, "argv");
        if (argv.isEmpty() || argv.stream().anyMatch(a -> a == null || a.indexOf('\0') >= 0)) {
            throw new IllegalArgumentException("argv " + argv + " is not allowed: must be a non-empty list of "
                    + "arguments without NUL");
        }
    }

    /**
     * Checks an {@link #exec} time-out: positive.
     *
     * @throws NullPointerException     if {@code timeout} is null
     * @throws IllegalArgumentException naming the value and what is allowed
     */
    static void checkTimeout(Duration timeout) {
        java.util.Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout " + timeout + " is not allowed: must be positive");
        }
    }
}
