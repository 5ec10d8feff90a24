// Hands instance exits to the platform's exit listener, one at a time, on a thread of its own.
package dev.berth.backend.ssh;

import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.spi.Backend.ExitListener;
import dev.berth.api.ExitInfo;

/**
 * Reports the exits the backend found (by a liveness round or a kill) to the {@link ExitListener},
 * in order, on one thread of its own, so that a slow listener never holds a host's round. Once the
 * backend is closed, exits are logged and not reported. Thread-safe.
 */
final class ExitReports {
    private static final Logger LOG = LoggerFactory.getLogger(ExitReports.class);

    private final SshContext ctx;
    private final ExecutorService notifier = Executors.newSingleThreadExecutor(SshContext.daemon("berth-ssh-exits"));
    private volatile ExitListener listener = (id, handle, exit) -> { };

    ExitReports(SshContext ctx) {
        this.ctx = ctx;
    }

    void listener(ExitListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Logs the exit of t (a warning) and hands it to the listener, with the status code (or UNKNOWN) and reason. */
    void report(TrackedRemote t, int code, String reason) {
        ExitInfo exit = new ExitInfo(code, ctx.clock().instant(), reason);
        if (ctx.closed()) {
            LOG.info("{} {} (not reported: the backend is closed)", t, reason);
            return;
        }
        LOG.warn("{} {}", t, reason);
        try {
            notifier.execute(() -> {
                try {
                    listener.exited(t.id(), t.running.handle(), exit);
                } catch (RuntimeException e) {
                    LOG.warn("exit listener failed for {}: {}", t, e.toString(), e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.info("{} {} (not reported: the backend is closing)", t, reason);
        }
    }

    /** An exit status as the host's scripts print it (0-255), or {@link ExitInfo#UNKNOWN}. */
    static int parseCode(String s) {
        try {
            int code = Integer.parseInt(s);
            return code < 0 || code > 255 ? ExitInfo.UNKNOWN : code;
        } catch (NumberFormatException e) {
            return ExitInfo.UNKNOWN;
        }
    }

    /** Reports already handed over still reach the listener; no new ones do. */
    void close() {
        notifier.shutdown();
    }
}
