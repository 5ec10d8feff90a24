package dev.berth.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** A handle on one instance of an app. Thread-safe. */
public interface Instance {

    /** The instance's id. */
    String id();

    /** What the platform knows of it now. */
    InstanceRecord record();

    /** Stops it gracefully; it stays stopped until {@link #restart()} or a new deploy. */
    void stop();

    /** Stops it gracefully and starts it again. */
    void restart();

    /** Kills it at once; the platform sees a crash and respawns it per the restart policy. */
    void kill();

    /**
     * Stops it and takes it out of its app for good: the app's instance count goes down by one,
     * so nothing replaces it. Refused for an app that runs on every node.
     */
    void remove();

    /** Its record together with what the backend reports of it (container, process). */
    InstanceInfo info();

    /** The environment its process runs with, read from the running instance. */
    Map<String, String> environment();

    /** The last {@code lines} lines of its output. */
    List<String> logs(int lines);

    /** Follows its output until the returned handle is closed. */
    AutoCloseable follow(Consumer<String> consumer);

    /** Runs {@code argv} in its directory and env. */
    ExecResult exec(List<String> argv, Duration timeout);
}
