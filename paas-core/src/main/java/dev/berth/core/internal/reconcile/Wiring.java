// Everything the control loop is wired to: nodes, backend, router, store, scheduler, events, clock and timings.
package dev.berth.core.internal.reconcile;

import dev.berth.spi.Backend;
import dev.berth.api.NodeSpec;
import dev.berth.spi.Router;
import dev.berth.spi.Scheduler;
import dev.berth.spi.StateStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Everything the loop is wired to; {@code releasesKept} bounds each app's deploy history;
 * a node that the backend has not heard from for {@code nodeDownAfter} is down; an instance
 * without a health check that has not accepted a connection within {@code readinessTimeout}
 * of its start (outside a rollout) is restarted as a failed start.
 */
public record Wiring(List<NodeSpec> nodes, Backend backend, Router router, StateStore store, Scheduler scheduler,
                     EventBus events, Clock clock, Duration resyncInterval, Duration stopGrace, int releasesKept,
                     Duration nodeDownAfter, Duration readinessTimeout) {
    /** The default time without an answer after which a node is down. */
    public static final Duration NODE_DOWN_AFTER = Duration.ofSeconds(5);
    /** The default readiness timeout of instances without a health check. */
    public static final Duration READINESS_TIMEOUT = Readiness.DEFAULT_TIMEOUT;

    public Wiring(List<NodeSpec> nodes, Backend backend, Router router, StateStore store, Scheduler scheduler,
                  EventBus events, Clock clock, Duration resyncInterval, Duration stopGrace) {
        this(nodes, backend, router, store, scheduler, events, clock, resyncInterval, stopGrace, 10, NODE_DOWN_AFTER);
    }

    public Wiring(List<NodeSpec> nodes, Backend backend, Router router, StateStore store, Scheduler scheduler,
                  EventBus events, Clock clock, Duration resyncInterval, Duration stopGrace, int releasesKept,
                  Duration nodeDownAfter) {
        this(nodes, backend, router, store, scheduler, events, clock, resyncInterval, stopGrace, releasesKept,
                nodeDownAfter, READINESS_TIMEOUT);
    }
}
