package dev.berth.api;

import java.time.Duration;
import java.util.List;
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
}
