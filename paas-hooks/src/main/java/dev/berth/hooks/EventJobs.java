// Turns the platform's events into UP/DOWN jobs in the order they happened, and re-derives the jobs a lane misses (inventory sync).
package dev.berth.hooks;

import dev.berth.api.HookJob;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.NotFoundException;
import dev.berth.api.PlatformEvent;
import dev.berth.core.Platform;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs on the hooks' one dispatcher thread only, so jobs leave it in the platform's order. An
 * instance is UP from its {@code InstanceHealthy} (ready, routed to) until it is unhealthy,
 * exits, is lost, stopped or its app removed; a stop of an instance whose release is no longer
 * the app's is reported as {@code replaced}.
 */
final class EventJobs {
    /** What a DOWN needs to say of an instance that was UP. */
    private record Up(String release, String node, String endpoint) {
    }

    private final Platform platform;
    private final HookQueue queue;
    private final String boot = Long.toString(System.currentTimeMillis(), 36);
    private final AtomicLong seq = new AtomicLong();
    private final Map<String, Map<String, Up>> up = new HashMap<>();

    EventJobs(Platform platform, HookQueue queue) {
        this.platform = platform;
        this.queue = queue;
    }

    void on(PlatformEvent event) {
        if (event instanceof PlatformEvent.InstanceHealthy e) {
            ready(e.app(), e.instance(), e.at());
        } else if (event instanceof PlatformEvent.InstanceUnhealthy e) {
            down(e.app(), e.instance(), "unhealthy", e.at());
        } else if (event instanceof PlatformEvent.InstanceExited e) {
            down(e.app(), e.instance(), "exited", e.at());
        } else if (event instanceof PlatformEvent.InstanceLost e) {
            down(e.app(), e.instance(), "lost", e.at());
        } else if (event instanceof PlatformEvent.InstanceStopped e) {
            down(e.app(), e.instance(), stopReason(e.app(), e.instance()), e.at());
        } else if (event instanceof PlatformEvent.StaleInstanceStopped e) {
            down(e.app(), e.instance(), "stopped", e.at());
        } else if (event instanceof PlatformEvent.AppStopped e) {
            Map<String, Up> instances = up.getOrDefault(e.app(), Map.of());
            for (String id : Set.copyOf(instances.keySet())) {
                down(e.app(), id, e.removed() ? "removed" : "stopped", e.at());
            }
        }
    }

    private void ready(String app, String instance, Instant at) {
        InstanceRecord r;
        try {
            r = platform.instance(instance).record();
        } catch (NotFoundException gone) {
            return; // gone already: its DOWN never needs to be said
        }
        Up u = new Up(r.release(), r.node(), r.endpoint() == null ? null : r.endpoint().toString());
        up.computeIfAbsent(app, a -> new HashMap<>()).put(instance, u);
        queue.offer(new HookJob(nextId(), HookJob.Type.UP, app, instance, u.release(), u.node(), u.endpoint(), null, at));
    }

    private void down(String app, String instance, String reason, Instant at) {
        Map<String, Up> instances = up.get(app);
        Up u = instances == null ? null : instances.remove(instance);
        if (u == null) {
            return; // it was not up: nothing to take back
        }
        queue.offer(new HookJob(nextId(), HookJob.Type.DOWN, app, instance, u.release(), u.node(), u.endpoint(), reason, at));
    }

    private String stopReason(String app, String instance) {
        Up u = up.getOrDefault(app, Map.of()).get(instance);
        try {
            String current = platform.app(app).release();
            return u != null && u.release() != null && !u.release().equals(current) ? "replaced" : "stopped";
        } catch (NotFoundException removed) {
            return "removed";
        }
    }

    /**
     * Inventory sync of one lane: the app's ready instances now, against what the module will have
     * once its queue is done; the difference is queued as jobs (reason {@code sync} for DOWN).
     */
    void sync(Lane lane) {
        if (!lane.enabled()) {
            return;
        }
        Map<String, Up> truth = readyNow(lane.app);
        // learn what is up (after a restart this map starts empty), but forget nothing: a DOWN event
        // still waiting in the intake must find its instance, for the other modules' sake
        up.computeIfAbsent(lane.app, a -> new HashMap<>()).putAll(truth);
        Set<String> view = lane.view();
        Instant now = Instant.now();
        for (Map.Entry<String, Up> e : truth.entrySet()) {
            if (!view.contains(e.getKey())) {
                Up u = e.getValue();
                queue.offer(lane, new HookJob(nextId(), HookJob.Type.UP, lane.app, e.getKey(), u.release(), u.node(),
                        u.endpoint(), null, now));
            }
        }
        for (String id : view) {
            if (!truth.containsKey(id)) {
                queue.offer(lane, new HookJob(nextId(), HookJob.Type.DOWN, lane.app, id, null, null, null, "sync", now));
            }
        }
    }

    /** The app's instances that are ready (healthy) now, in id order. */
    private Map<String, Up> readyNow(String app) {
        Map<String, Up> out = new LinkedHashMap<>();
        try {
            platform.app(app).records().stream().filter(r -> r.state() == InstanceState.HEALTHY)
                    .sorted(java.util.Comparator.comparing(InstanceRecord::id))
                    .forEach(r -> out.put(r.id(), new Up(r.release(), r.node(),
                            r.endpoint() == null ? null : r.endpoint().toString())));
        } catch (NotFoundException removed) {
            // no such app (any more): nothing is ready
        }
        return out;
    }

    private String nextId() {
        return boot + "-" + seq.incrementAndGet();
    }
}
