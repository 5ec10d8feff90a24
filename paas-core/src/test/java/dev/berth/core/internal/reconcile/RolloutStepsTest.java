// RolloutSteps: a rolling update played out step by step, under the defaults and under every strategy.
package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.berth.api.DeployPlan;
import dev.berth.api.UpdateStrategy;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The steps a plan shows, checked against Marathon's two bounds at every step. */
class RolloutStepsTest {
    private static List<RollingPlan.Old> healthyOld(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> new RollingPlan.Old("old-" + i, true)).toList();
    }

    @Test
    void theDefaultsStartAllNewOnesThenStopAllOldOnes() {
        List<DeployPlan.Step> steps = RolloutSteps.play(UpdateStrategy.defaults(), 3, 0, 0, healthyOld(3), 3);
        assertThat(steps).containsExactly(new DeployPlan.Step(3, List.of()),
                new DeployPlan.Step(0, List.of("old-1", "old-2", "old-3")));
    }

    @Test
    void halfHealthyWithoutSurgeGoesInHalves() {
        List<DeployPlan.Step> steps = RolloutSteps.play(new UpdateStrategy(0.5, 0.0, Duration.ofMinutes(1)), 4, 0, 0,
                healthyOld(4), 4);
        assertThat(steps).extracting(DeployPlan.Step::start).containsExactly(0, 2, 0, 2);
        assertThat(steps).flatExtracting(DeployPlan.Step::stop).containsExactly("old-1", "old-2", "old-3", "old-4");
    }

    @Test
    void everyStrategyEndsWithTheNewReleaseOnlyAndKeepsBothBoundsAtEveryStep() {
        qt().withExamples(2000).forAll(integers().between(1, 30), integers().between(0, 30), integers().between(0, 100),
                integers().between(0, 100))
                // a strategy that could never replace anything (all healthy, no surge) is refused by UpdateStrategy
                .assuming((desired, olds, minPct, overPct) -> minPct < 100 || overPct > 0)
                .checkAssert((desired, olds, minPct, overPct) -> {
                    UpdateStrategy s = new UpdateStrategy(minPct / 100.0, overPct / 100.0, Duration.ofMinutes(1));
                    List<DeployPlan.Step> steps = RolloutSteps.play(s, desired, 0, 0, healthyOld(olds), olds);
                    int running = olds;
                    int started = 0;
                    Set<String> stopped = new HashSet<>();
                    for (DeployPlan.Step step : steps) {
                        running -= step.stop().size(); // stopped ones go before new ones take their room
                        assertThat(running).as("healthy after the stops").isGreaterThanOrEqualTo(
                                Math.min(s.minimumHealthy(desired), olds + started));
                        running += step.start();
                        started += step.start();
                        assertThat(running).as("running after the starts").isLessThanOrEqualTo(
                                Math.max(s.maximumRunning(desired), olds));
                        step.stop().forEach(id -> assertThat(stopped.add(id)).as("stopped twice: " + id).isTrue());
                    }
                    assertThat(started).isEqualTo(desired);
                    assertThat(stopped).hasSize(olds);
                });
    }
}
