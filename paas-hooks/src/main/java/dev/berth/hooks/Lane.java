// One (module, app) lane: its jobs in order, the instances the module acknowledged as up, and what it will have once the jobs are done.
package dev.berth.hooks;

import dev.berth.api.HookJob;
import dev.berth.spi.HookModule;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A lane. {@link #acknowledged} is the module's checkpoint (persisted); the view is the checkpoint
 * with the queued jobs applied, so a job that changes nothing (an UP for an instance the module
 * will have anyway) is never queued: repeats come only from retries and restarts.
 *
 * <p>A job is handed to the module only once it is saved ({@link #saved}; at once without a state
 * file), so whatever a module may have been told is on disk as pending or acknowledged: after a
 * crash it is sent again or taken back by the sync, never forgotten. Each preset change that
 * starts over (new options, removal) is a new generation: a job that was running under the old
 * one finishes, but is not recorded for the new target. Guarded by its own monitor.
 */
final class Lane {
    /** The first job to hand to a worker, with the generation it runs under. */
    record Turn(HookJob job, long generation, Map<String, Object> options) {
    }

    final HookModule module;
    final String app;
    private final boolean persisted;
    private final Deque<HookJob> jobs = new ArrayDeque<>();
    private final Set<String> saved = new HashSet<>();
    private final Set<String> acknowledged = new HashSet<>();
    private final Set<String> view = new HashSet<>();
    private boolean enabled;
    private Map<String, Object> options = Map.of();
    private long generation;
    private HookJob running;
    private int attempts;
    private String lastError;
    private Instant nextAttempt;

    Lane(HookModule module, String app, boolean persisted) {
        this.module = module;
        this.app = app;
        this.persisted = persisted;
    }

    /** Queues {@code job} when it changes what the module will have; answers whether it was queued. */
    synchronized boolean offer(HookJob job) {
        if (!enabled) {
            return false;
        }
        boolean changes = job.type() == HookJob.Type.UP ? view.add(job.instance()) : view.remove(job.instance());
        if (changes) {
            jobs.addLast(job);
        }
        return changes;
    }

    /** The instances the module will have once its queued jobs are done. */
    synchronized Set<String> view() {
        return Set.copyOf(view);
    }

    /** Takes the first job to run: null when the lane is empty, running, waiting to retry, disabled, or the job is not saved yet. */
    synchronized Turn take() {
        HookJob first = jobs.peekFirst();
        if (running != null || nextAttempt != null || first == null || !enabled || persisted && !saved.contains(first.id())) {
            return null;
        }
        running = first;
        return new Turn(first, generation, options);
    }

    /** The jobs of a save that succeeded are on disk: they may be handed out; answers whether the lane has work. */
    synchronized boolean saved(Collection<HookJob> written) {
        written.forEach(j -> saved.add(j.id()));
        return !jobs.isEmpty() && running == null && nextAttempt == null;
    }

    /** The job succeeded: it leaves the queue and, under the same generation, the checkpoint follows it. */
    synchronized void done(Turn turn) {
        HookJob job = turn.job();
        clearRun();
        if (jobs.peekFirst() == job) {
            jobs.pollFirst();
            saved.remove(job.id());
        }
        if (turn.generation() != generation) {
            return; // started over meanwhile: the new target has not been told
        }
        if (job.type() == HookJob.Type.UP) {
            acknowledged.add(job.instance());
        } else {
            acknowledged.remove(job.instance());
        }
    }

    /**
     * The job failed: it stays first and is tried again at {@code retryAt} (answers true); on a lane
     * disabled or started over meanwhile it is dropped instead (answers false).
     */
    synchronized boolean failed(Turn turn, String error, Instant retryAt) {
        running = null;
        if (!enabled || turn.generation() != generation) {
            if (jobs.peekFirst() == turn.job()) {
                jobs.pollFirst();
                saved.remove(turn.job().id());
                rebuildView();
            }
            return false;
        }
        attempts++;
        lastError = error;
        nextAttempt = retryAt;
        return true;
    }

    synchronized int attempts() {
        return attempts;
    }

    /** The back-off is over. */
    synchronized void retryNow() {
        nextAttempt = null;
    }

    private void clearRun() {
        running = null;
        attempts = 0;
        lastError = null;
        nextAttempt = null;
    }

    /**
     * Sets the preset. Disabling drops the queued jobs at once (the one in progress finishes);
     * {@code startOver} (new options, removal) also forgets the checkpoint and starts a new
     * generation, so the next sync tells the (maybe new) target everything.
     */
    synchronized void preset(boolean enabled, Map<String, Object> options, boolean startOver) {
        this.enabled = enabled;
        this.options = Map.copyOf(options);
        if (startOver) {
            generation++;
            acknowledged.clear();
            jobs.clear();
            saved.clear();
        } else if (!enabled) {
            jobs.removeIf(j -> j != running);
        }
        if (!enabled || startOver) {
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

    /** Restores the checkpoint and the pending jobs read at start (saved: they came from the file). */
    synchronized void restore(Set<String> ids, List<HookJob> pending) {
        acknowledged.addAll(ids);
        jobs.addAll(pending);
        pending.forEach(j -> saved.add(j.id()));
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
        return new LaneStatus(module.name(), app, enabled, List.copyOf(jobs), running != null, attempts, lastError, nextAttempt,
                acknowledged.size());
    }
}
