// What deploying a spec would do, computed without changing anything (Nomad's "job plan").
package dev.berth.api;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code deploy(spec)} would do now, computed by the control loop from what it sees, changing
 * nothing: the spec's differences from the app's current one, whether that makes a new release
 * (code or settings changed) or only changes the count, what the first pass would start (and on
 * which nodes) and stop, the steps of the rolling update, and what cannot be placed and why.
 * Immutable.
 *
 * <p>The steps assume each new instance becomes healthy and each stopped one goes; a real rollout
 * waits for both, so its passes may split a step. Env values never appear in {@link #changes}:
 * a changed variable is named, its values shown as {@code (hidden)}.
 *
 * @param app            the app's name
 * @param currentRelease the app's release now, or null for an app that does not exist yet
 * @param newRelease     whether the deploy makes a new release (a rolling update), not only a change of count or update strategy
 * @param changes        the spec's fields that differ from the current spec's, in field order; every field for a new app
 * @param placement      the instances the first pass would start, per node id
 * @param toStart        how many instances the first pass would ask for (placed or not)
 * @param toStop         the ids of instances the first pass would stop
 * @param steps          the rollout's steps, the first one included
 * @param unplaced       how many of {@code toStart} cannot be placed now
 * @param unplacedReason why they cannot, or null
 */
public record DeployPlan(String app, String currentRelease, boolean newRelease, List<Change> changes,
                         Map<String, Integer> placement, int toStart, List<String> toStop, List<Step> steps,
                         int unplaced, String unplacedReason) {
    /** Copies the collections. */
    public DeployPlan {
        Objects.requireNonNull(app, "app");
        changes = List.copyOf(changes);
        placement = Map.copyOf(placement);
        toStop = List.copyOf(toStop);
        steps = List.copyOf(steps);
    }

    /**
     * A field that changes.
     *
     * @param field  its path in the manifest schema, such as {@code resources.cpu} or {@code env.DB_URL}
     * @param before its value now, or null when it is not set
     * @param after  its value after the deploy, or null when it is no longer set
     */
    public record Change(String field, String before, String after) {
    }

    /**
     * One step of the rollout.
     *
     * @param start instances of the new release started in it
     * @param stop  ids of instances stopped in it
     */
    public record Step(int start, List<String> stop) {
        /** Copies the list. */
        public Step {
            stop = List.copyOf(stop);
        }
    }

    /** Whether the deploy would change nothing: no field, nothing to start or stop. */
    public boolean unchanged() {
        return changes.isEmpty() && toStart == 0 && toStop.isEmpty();
    }
}
