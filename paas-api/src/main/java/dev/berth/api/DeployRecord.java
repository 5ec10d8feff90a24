package dev.berth.api;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of an app's deploy history: a release, its spec, and how its rollout ended. The
 * history is what {@code rollback} returns to. Immutable.
 *
 * @param release    the release id
 * @param spec       the spec of that release
 * @param startedAt  when it was deployed
 * @param finishedAt when its rollout ended, or {@code null} while it runs
 * @param outcome    how it ended
 * @param reason     why it failed or was replaced (empty when it succeeded)
 */
public record DeployRecord(String release, AppSpec spec, Instant startedAt, Instant finishedAt, Outcome outcome,
                           String reason) {
    /** How a rollout ended. */
    public enum Outcome {
        /** Still rolling out. */
        IN_PROGRESS,
        /** Every instance of the release became healthy. */
        SUCCEEDED,
        /** Its instances did not become healthy in time; the app went back to the previous release. */
        ROLLED_BACK,
        /** Another deploy came before it finished. */
        SUPERSEDED
    }

    public DeployRecord {
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(outcome, "outcome");
        reason = reason == null ? "" : reason;
    }

    /** This entry, ended now with {@code outcome}. */
    public DeployRecord ended(Instant at, Outcome outcome, String reason) {
        return new DeployRecord(release, spec, startedAt, at, outcome, reason);
    }
}
