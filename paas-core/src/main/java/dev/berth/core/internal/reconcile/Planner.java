// What a deploy would do, worked out on the loop with the loop's own functions and the kept scheduler, changing nothing.
package dev.berth.core.internal.reconcile;

import dev.berth.api.AppSpec;
import dev.berth.api.DeployPlan;
import dev.berth.api.InstanceRecord;
import dev.berth.core.internal.manifest.SpecDiff;
import dev.berth.spi.AppRecord;
import dev.berth.spi.Placement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A dry run of a deploy (Nomad's {@code job plan}): the {@link ConvergeStep} decision the next
 * pass would take for the spec, its placement request given to the platform's scheduler on the
 * cluster as it is now (the scheduler undoes its own placements at the end of a call, so nothing
 * is held), and the rollout's steps played out by {@link RolloutSteps}. Changes nothing: no
 * record, no instance, no event. Loop thread only.
 */
final class Planner extends Room {
    /** The release name a plan gives the release a deploy would make (release names are made at deploy time). */
    static final String NEXT_RELEASE = "next";

    private final Convergence convergence;

    Planner(LoopState state, LoopControl loop, Convergence convergence) {
        super(state, loop);
        this.convergence = convergence;
    }

    /** The plan of deploying {@code spec} (its git source resolved) now. */
    DeployPlan plan(AppSpec spec, Instant now) {
        AppRecord old = apps.get(spec.name());
        boolean sameRelease = old != null && old.spec().sameReleaseAs(spec);
        AppRecord planned = new AppRecord(spec, sameRelease ? old.release() : NEXT_RELEASE, false);
        List<ConvergeStep.Seen> seen = new ArrayList<>();
        for (Tracked t : instances.ofApp(spec.name())) {
            InstanceRecord r = t.record();
            seen.add(new ConvergeStep.Seen(r.id(), r.release(), r.node(), r.state(), t.retiring(), t.busy, t.respawnAt));
        }
        ConvergeStep.Decision d = ConvergeStep.decide(planned, seen, w.nodes(), state.downNodes, now);
        Map<String, Integer> placement = new TreeMap<>();
        int toStart = 0;
        int unplaced = 0;
        String reason = null;
        if (d.request() != null) {
            Placement p = w.scheduler().place(convergence.snapshot(), List.of(d.request()));
            for (Placement.Assignment a : p.assignments()) {
                placement.merge(a.node(), 1, Integer::sum);
            }
            toStart = p.assignments().size();
            for (Placement.Unplaced u : p.unplaced()) {
                unplaced += u.count();
                reason = u.reason();
            }
            toStart += unplaced;
        }
        List<String> toStop = d.stops().stream().map(ConvergeStep.Stop::id).toList();
        return new DeployPlan(spec.name(), old == null ? null : old.release(), !sameRelease,
                SpecDiff.between(old == null ? null : old.spec(), spec), placement, toStart, toStop,
                steps(planned, seen, toStart, toStop), unplaced, reason);
    }

    /** The rollout's steps: played out when an old release runs; else the one step of the decision. */
    private static List<DeployPlan.Step> steps(AppRecord planned, List<ConvergeStep.Seen> seen, int toStart,
                                               List<String> toStop) {
        AppSpec spec = planned.spec();
        List<ConvergeStep.Seen> current = new ArrayList<>();
        List<ConvergeStep.Seen> old = new ArrayList<>();
        for (ConvergeStep.Seen s : seen) {
            if (!s.leaving()) {
                (s.release().equals(planned.release()) ? current : old).add(s);
            }
        }
        if (old.isEmpty() || spec.instances().all() || ConvergeStep.awaitingPush(spec)) {
            return toStart == 0 && toStop.isEmpty() ? List.of() : List.of(new DeployPlan.Step(toStart, toStop));
        }
        List<RollingPlan.Old> olds = ScaleDownOrder.sorted(old).stream()
                .map(s -> new RollingPlan.Old(s.id(), s.healthy())).toList();
        int healthy = (int) current.stream().filter(ConvergeStep.Seen::healthy).count();
        int live = (int) seen.stream().filter(ConvergeStep.Seen::live).count();
        return RolloutSteps.play(spec.update(), spec.instances().count(), current.size(), healthy, olds, live);
    }
}
