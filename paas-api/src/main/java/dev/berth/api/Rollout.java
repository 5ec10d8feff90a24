package dev.berth.api;

import java.time.Instant;
import java.util.Objects;

/**
 * A release being rolled out, persisted with its app so that a restarted platform resumes it (or
 * rolls it back once its deadline has passed). Immutable.
 *
 * @param fromRelease the release that served before, which a failed rollout returns to
 * @param fromSpec    that release's spec
 * @param startedAt   when the rollout began
 * @param deadline    when it fails unless every instance of the new release is healthy
 */
public record Rollout(String fromRelease, AppSpec fromSpec, Instant startedAt, Instant deadline) {
    public Rollout {
        Objects.requireNonNull(fromRelease, "fromRelease");
        Objects.requireNonNull(fromSpec, "fromSpec");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(deadline, "deadline");
    }
}
