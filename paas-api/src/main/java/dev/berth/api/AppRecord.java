package dev.berth.api;

import java.util.Objects;

/**
 * The desired state of one app as persisted: its spec, the release its instances should run,
 * and whether it was stopped on purpose. Immutable.
 *
 * @param spec    the app's spec
 * @param release the current release id, e.g. {@code r3}
 * @param stopped true after {@code stop}: the spec is kept but no instance runs
 */
public record AppRecord(AppSpec spec, String release, boolean stopped) {
    public AppRecord {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(release, "release");
    }

    public String name() {
        return spec.name();
    }
}
