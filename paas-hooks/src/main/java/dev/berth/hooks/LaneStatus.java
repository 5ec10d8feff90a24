// What one lane of the hook queue holds right now: pending jobs, the one in progress, the last failure.
package dev.berth.hooks;

import dev.berth.api.HookJob;
import java.time.Instant;
import java.util.List;

/**
 * One (module, app) lane as {@code GET /v1/jobs} shows it. Immutable.
 *
 * @param module       the module
 * @param app          the app
 * @param enabled      whether its preset is enabled
 * @param pending      the jobs waiting, oldest first (the first one may be in progress or failed)
 * @param inProgress   whether the first job is being handled now
 * @param attempts     how many times the first job failed so far (0 when it has not)
 * @param lastError    the module's error for the first job, or null
 * @param nextAttempt  when a failed first job is tried again, or null
 * @param acknowledged how many instances the module has acknowledged as up (its checkpoint)
 */
public record LaneStatus(String module, String app, boolean enabled, List<HookJob> pending, boolean inProgress,
                         int attempts, String lastError, Instant nextAttempt, int acknowledged) {
    /** A status; {@code pending} is copied. */
    public LaneStatus {
        pending = List.copyOf(pending);
    }
}
