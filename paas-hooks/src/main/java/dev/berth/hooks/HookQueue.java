// The hook queue's lanes and workers: each (module, app) lane handled in order, lanes in parallel up to a bound, failures retried with back-off.
package dev.berth.hooks;

import dev.berth.api.HookJob;
import dev.berth.spi.HookModule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lanes by app, then by module. A lane runs on one of {@code parallelism} workers at a time, a
 * batch of jobs per turn so that a busy app does not starve the others. A failed job stays first in
 * its lane and is tried again after a back-off (doubling from {@code minBackoff} to 60 s), while
 * every other lane goes on.
 */
final class HookQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HookQueue.class);
    /** Jobs a lane handles per turn on a worker. */
    private static final int BATCH = 64;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(60);
    private final Map<String, Map<String, Lane>> lanes = new ConcurrentHashMap<>();
    private final ExecutorService workers;
    private final ScheduledExecutorService timer;
    private final Duration minBackoff;
    private final Runnable changed;
    /** Whether jobs are saved before they are handed out (there is a state file). */
    private final boolean persisted;
    private final AtomicLong handled = new AtomicLong();

    HookQueue(int parallelism, ScheduledExecutorService timer, Duration minBackoff, boolean persisted, Runnable changed) {
        this.persisted = persisted;
        this.workers = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "berth-hooks-worker");
            t.setDaemon(true);
            return t;
        });
        this.timer = timer;
        this.minBackoff = minBackoff;
        this.changed = changed;
    }

    /** The lane of {@code module} for {@code app}, made (disabled) when there is none; kept for good once made. */
    Lane lane(HookModule module, String app) {
        return lanes.computeIfAbsent(app, a -> new ConcurrentHashMap<>())
                .computeIfAbsent(module.name(), m -> new Lane(module, app, persisted));
    }

    /** The lane, or null. */
    Lane existing(String module, String app) {
        Map<String, Lane> byModule = lanes.get(app);
        return byModule == null ? null : byModule.get(module);
    }

    /** The lanes of {@code app}. */
    Collection<Lane> lanesOf(String app) {
        Map<String, Lane> byModule = lanes.get(app);
        return byModule == null ? List.of() : byModule.values();
    }

    List<Lane> all() {
        List<Lane> out = new ArrayList<>();
        lanes.values().forEach(m -> out.addAll(m.values()));
        return out;
    }

    /** Queues {@code job} on every enabled lane of its app that it changes. */
    void offer(HookJob job) {
        for (Lane lane : lanesOf(job.app())) {
            offer(lane, job);
        }
    }

    /** Queues {@code job} on one lane (an inventory sync's job is for one module). */
    void offer(Lane lane, HookJob job) {
        if (lane.offer(job)) {
            changed.run(); // saved with the checkpoints; handed out once saved
            if (!persisted) {
                schedule(lane);
            }
        }
    }

    /** Hands the lane to a worker (it takes its first job there, if it may). */
    void schedule(Lane lane) {
        try {
            workers.execute(() -> run(lane));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("hooks: closed; lane {}/{} not run", lane.module.name(), lane.app);
        }
    }

    private void run(Lane lane) {
        for (int n = 0; n < BATCH; n++) {
            Lane.Turn turn = lane.take();
            if (turn == null) {
                return;
            }
            try {
                lane.module.handle(turn.job(), turn.options());
            } catch (Exception | Error e) { // an Error too: the lane must not stay "running" for good
                fail(lane, turn, e);
                return;
            }
            lane.done(turn);
            handled.incrementAndGet();
            changed.run();
        }
        schedule(lane); // more to do: back in line behind the other lanes
    }

    private void fail(Lane lane, Lane.Turn turn, Throwable e) {
        HookJob job = turn.job();
        String error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Duration wait = backoff(lane.attempts() + 1);
        if (!lane.failed(turn, error, Instant.now().plus(wait))) {
            LOG.info("hooks: module {} failed job {} of a preset since disabled or changed: dropped", lane.module.name(), job.id());
            changed.run();
            schedule(lane);
            return;
        }
        LOG.warn("hooks: module {} failed job {} ({} {} of app {}), attempt {}: {}; trying again in {} ms",
                lane.module.name(), job.id(), job.type(), job.instance(), job.app(), lane.attempts(), error, wait.toMillis());
        try {
            timer.schedule(() -> {
                lane.retryNow();
                schedule(lane);
            }, wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            LOG.debug("hooks: closed; no retry of {}", job.id());
        }
    }

    /** The wait before attempt {@code attempt + 1}: min back-off doubled per failure, at most 60 s. */
    Duration backoff(int failures) {
        long ms = minBackoff.toMillis() << Math.min(failures - 1, 20);
        return Duration.ofMillis(Math.min(ms, MAX_BACKOFF.toMillis()));
    }

    /** Jobs handled since start. */
    long handled() {
        return handled.get();
    }

    @Override
    public void close() {
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
