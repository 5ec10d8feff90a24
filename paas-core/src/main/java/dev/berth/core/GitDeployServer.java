// Owns the platform's deploy-on-push git server: the GitServer with GitPushes as its listener, and when pushes may deploy.
package dev.berth.core;

import dev.berth.core.internal.git.GitServer;
import dev.berth.core.internal.reconcile.EventBus;
import dev.berth.core.internal.reconcile.Reconciler;
import dev.berth.core.internal.release.Releases;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The git smart-HTTP server of a platform built with {@link PlatformBuilder#gitServer}: a push
 * stores the commits, and one to the deploy branch deploys through {@link GitPushes}. Pushes are
 * refused (the commits kept) until the platform has {@link #started()}; a push waiting for its
 * deploy stops waiting once {@link #close()} begins. Thread-safe.
 */
final class GitDeployServer implements AutoCloseable {
    private final GitServer server;
    /** Set once the control loop runs: pushes before that are refused, not lost. */
    private volatile boolean started;
    /** Set once close() began: pushes waiting for their deploy stop waiting. */
    private volatile boolean closing;

    /**
     * A server (not yet listening) for the builder's git options.
     *
     * @param logs an instance's last lines of output (the platform's logs API), for push reports
     */
    GitDeployServer(PlatformBuilder b, Releases releases, Reconciler reconciler, EventBus events,
                    BiFunction<String, Integer, List<String>> logs) {
        this.server = GitServer.builder(releases.repositories()).bindAddress(b.gitBindAddress).port(b.gitPort)
                .password(b.gitPassword).listener(new GitPushes(releases, reconciler, events, logs,
                        () -> started, () -> !closing, b.gitPushWaits)).build();
    }

    /** Binds the port; pushes are refused until {@link #started()}. */
    void start() {
        server.start();
    }

    /** The control loop runs: pushes to the deploy branch deploy from now on. */
    void started() {
        started = true;
    }

    /** The port the server listens on. */
    int port() {
        return server.port();
    }

    /** Ends the waits of pushes and stops the server. */
    @Override
    public void close() {
        closing = true;
        server.close();
    }
}
