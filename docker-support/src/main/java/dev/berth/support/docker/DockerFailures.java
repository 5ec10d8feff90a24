// A failed Docker Engine API call as the one BackendException a person can act on: what failed, where, and why.
package dev.berth.support.docker;

import com.github.dockerjava.api.exception.DockerException;
import dev.berth.api.BackendException;
import java.io.IOException;

/**
 * Turns what a docker-java call threw into a {@link BackendException} that names the call, the
 * engine's address and the cause: the engine's HTTP status and answer, or that the daemon cannot
 * be reached (is dockerd running?). A {@code BackendException} passes as it is. Stateless.
 */
public final class DockerFailures {
    private DockerFailures() {
    }

    /**
     * @param host the engine's address, e.g. {@code unix:///var/run/docker.sock}
     * @param what the call, e.g. {@code "start a terminal for sh"}
     * @param e    what the call threw
     */
    public static BackendException of(String host, String what, RuntimeException e) {
        if (e instanceof BackendException be) {
            return be;
        }
        if (e instanceof DockerException de) {
            return new BackendException(what + " failed: the Docker Engine at " + host + " answered "
                    + de.getHttpStatus() + ": " + String.valueOf(de.getMessage()).trim(), e);
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof IOException || e.getCause() instanceof IOException) {
            return new BackendException(what + " failed: cannot reach the Docker daemon at " + host
                    + " (is dockerd running?): " + root, e);
        }
        return new BackendException(what + " failed: " + e, e);
    }
}
