package dev.berth.spi;

import dev.berth.api.AppSpec;
import dev.berth.api.DeployRecord;
import dev.berth.api.Rollout;
import java.util.List;
import java.util.Objects;

/**
 * The desired state of one app as persisted: its spec, the release its instances should run,
 * whether it was stopped on purpose, the rollout in progress and the deploy history. Immutable.
 *
 * @param spec    the app's spec
 * @param release the current release id, e.g. {@code r3-lx2k9a}
 * @param stopped true after {@code stop}: the spec is kept but no instance runs
 * @param rollout the rollout in progress, or {@code null}
 * @param history the latest deploys, oldest first
 */
public record AppRecord(AppSpec spec, String release, boolean stopped, Rollout rollout, List<DeployRecord> history) {
    public AppRecord {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(release, "release");
        history = List.copyOf(history);
    }

    /** An app without rollout or history. */
    public AppRecord(AppSpec spec, String release, boolean stopped) {
        this(spec, release, stopped, null, List.of());
    }

    /** The app's name (its spec's). */
    public String name() {
        return spec.name();
    }

    /** This record, stopped or not. */
    public AppRecord withStopped(boolean stopped) {
        return new AppRecord(spec, release, stopped, rollout, history);
    }

    /** This record with another spec of the same release (an instance count, say). */
    public AppRecord withSpec(AppSpec spec) {
        return new AppRecord(spec, release, stopped, rollout, history);
    }
}
