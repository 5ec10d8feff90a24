// One (module, app) lane: its jobs in order, the instances the module acknowledged as up, and what it will have once the jobs are done.
package dev.berth.hooks;

import dev.berth.api.HookJob;
import dev.berth.spi.HookModule;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A lane. {@link #acknowledged} is the module's checkpoint (persisted); {@link #view} is the
 * checkpoint with the queued jobs applied, so a job that changes nothing (an UP for an instance
 * the module will have anyway) is never queued: repeats come only from retries and restarts.
 * Guarded by its own monitor.
 */
final class Lane {
    final HookModule module;
    final String app;
    private final Deque<HookJob> jobs = new ArrayDeque<>();
    private final Set<String> acknowledged = new HashSet<>();
    private final Set<String> view = new HashSet<>();
    private boolean enabled;
    private Map<String, Object> options = Map.of();
    private boolean running;
    private int attempts;
    private String lastError;
    private Instant nextAttempt;

    Lane(HookModule module, String app) {
        this.module = module;
        this.app = app;
    }

    /** Queues {@code job} when it changes what the module will have; answers whether the lane should be run. */
    synchronized boolean offer(HookJob job) {
        if (!enabled) {
            return false;
        }
        boolean changes = job.type() == HookJob.Type.UP ? view.add(job.instance()) : view.remove(job.instance());
        if (changes) {
            jobs.addLast(job);
        }
        return changes && !running && nextAttempt == null;
    }

    /** The instances the module will have once its queued jobs are done. */
    synchronized Set<String> view() {
        return Set.copyOf(view);
    }

    /** Takes the lane to run its first job: null when it is empty, running or waiting to retry. */
    synchronized HookJob take() {
        if (running || nextAttempt != null || jobs.isEmpty() || !enabled) {
            return null;
        }
        running = true;
        return jobs.peekFirst();
    }

    synchronized Map<String, Object> options() {
        return options;
    }

    /** The first job succeeded: it leaves the queue and the checkpoint follows it. */
    synchronized void done(HookJob job) {
        running = false;
        attempts = 0;
        lastError = null;
        if (jobs.peekFirst() == job) {
            jobs.pollFirst();
        }
        if (job.type() == HookJob.Type.UP) {
            acknowledged.add(job.instance());
        } else {
            acknowledged.remove(job.instance());
        }
    }

    /** The first job failed: it stays first and is tried again at {@code retryAt}; answers the attempts so far. */
    synchronized int failed(String error, Instant retryAt) {
        running = false;
        attempts++;
        lastError = error;
        nextAttempt = retryAt;
        return attempts;
    }

    /** The back-off is over. */
    synchronized void retryNow() {
        nextAttempt = null;
    }

    /** Sets the preset: disabling drops the queued jobs at once (the job in progress finishes). */
    synchronized void preset(boolean enabled, Map<String, Object> options, boolean forget) {
        this.enabled = enabled;
        this.options = Map.copyOf(options);
        if (forget) {
            acknowledged.clear();
        }
        if (!enabled || forget) {
            HookJob inProgress = running ? jobs.peekFirst() : null;
            jobs.removeIf(j -> j != inProgress);
            rebuildView();
            attempts = 0;
            lastError = null;
            nextAttempt = null;
        }
    }

    synchronized boolean enabled() {
        return enabled;
    }

    synchronized Set<String> acknowledged() {
        return Set.copyOf(acknowledged);
    }

    /** Restores the checkpoint and the pending jobs read at start. */
    synchronized void restore(Set<String> ids, List<HookJob> pending) {
        acknowledged.addAll(ids);
        jobs.addAll(pending);
        rebuildView();
    }

    /** The jobs not yet handled, oldest first. */
    synchronized List<HookJob> pending() {
        return List.copyOf(jobs);
    }

    /** The view: the checkpoint with the queued jobs applied in order. */
    private void rebuildView() {
        view.clear();
        view.addAll(acknowledged);
        for (HookJob j : jobs) {
            if (j.type() == HookJob.Type.UP) {
                view.add(j.instance());
            } else {
                view.remove(j.instance());
            }
        }
    }

    synchronized LaneStatus status() {
        return new LaneStatus(module.name(), app, enabled, List.copyOf(jobs), running, attempts, lastError, nextAttempt,
                acknowledged.size());
    }

    synchronized boolean idle() {
        return jobs.isEmpty() && !running;
    }
}
