// Serve's logging setup: every platform event is printed once, by EventPrinter, not logged a second time.
package dev.berth.samples;

import java.util.Map;

/**
 * Sets slf4j-simple's levels for Serve before the first logger exists. The reconciler and the
 * backends log at INFO what the platform also reports as events (deployed, starting, started,
 * stopped, adopted...), which Serve already prints through {@link EventPrinter}: those loggers are
 * kept to warnings and errors, so each event appears once. What has no event (the routers, the git
 * server) still logs at INFO; what the manifest loader logs, Serve's own lines say; ZooKeeper's and
 * Curator's clients and Jetty keep to warnings (Serve says when it leads or follows). A level given
 * on the command line
 * ({@code -Dorg.slf4j.simpleLogger.log.dev.berth.core.internal.reconcile=info}) wins. Stateless.
 */
final class ServeLogging {
    private static final String PREFIX = "org.slf4j.simpleLogger.";
    /** Loggers whose INFO lines repeat the platform's events, and the level Serve gives them. */
    static final Map<String, String> DEFAULTS = Map.of(
            PREFIX + "log.dev.berth.core.internal.reconcile", "warn",
            PREFIX + "log.dev.berth.backend", "warn",
            PREFIX + "log.dev.berth.core.internal.manifest", "warn",
            // a client's every connection and its environment; Serve says when it leads or follows
            PREFIX + "log.org.apache.zookeeper", "warn",
            PREFIX + "log.org.apache.curator", "warn",
            // each start and stop of the API's server (a controller switching between leader and follower)
            PREFIX + "log.org.eclipse.jetty", "warn",
            PREFIX + "showThreadName", "false",
            PREFIX + "showShortLogName", "true");

    private ServeLogging() {
    }

    /** Applies {@link #DEFAULTS} where no such system property is set yet. */
    static void eventsOnce() {
        DEFAULTS.forEach((key, value) -> {
            if (System.getProperty(key) == null) {
                System.setProperty(key, value);
            }
        });
    }
}
