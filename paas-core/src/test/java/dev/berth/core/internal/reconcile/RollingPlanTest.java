package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.berth.api.UpdateStrategy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Marathon's rules, step by step, and a whole simulated rollout under every strategy. */
class RollingPlanTest {
    private static final Duration DEADLINE = Duration.ofMinutes(1);

    private static List<RollingPlan.Old> healthyOld(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> new RollingPlan.Old("old-" + i, true)).toList();
    }

    @Test
    void theDefaultsStartEveryNewInstanceAndStopOneOldForEachNewHealthyOne() {
        UpdateStrategy s = UpdateStrategy.defaults();
        RollingPlan.Step first = RollingPlan.step(s, 4, 0, 0, healthyOld(4), 4);
        assertThat(first.toStart()).isEqualTo(4);
        assertThat(first.toStop()).isEmpty();

        RollingPlan.Step oneHealthy = RollingPlan.step(s, 4, 4, 1, healthyOld(4), 8);
        assertThat(oneHealthy.toStart()).isZero();
        assertThat(oneHealthy.toStop()).containsExactly("old-1");
    }

    @Test
    void halfHealthyWithoutSurgeStopsHalfFirstThenStartsInTheRoomMade() {
        UpdateStrategy s = new UpdateStrategy(0.5, 0.0, DEADLINE);
        RollingPlan.Step first = RollingPlan.step(s, 4, 0, 0, healthyOld(4), 4);
        assertThat(first.toStop()).hasSize(2);
        assertThat(first.toStart()).isZero(); // no room until the stopped ones are gone

        RollingPlan.Step next = RollingPlan.step(s, 4, 0, 0, healthyOld(2), 2);
        assertThat(next.toStart()).isEqualTo(2);
        assertThat(next.toStop()).isEmpty(); // 2 healthy left: the minimum
    }

    @Test
    void anUnhealthyOldInstanceGoesOnceTheMinimumIsMetWithoutIt() {
        List<RollingPlan.Old> old = List.of(new RollingPlan.Old("sick", false), new RollingPlan.Old("fine", true));
        RollingPlan.Step step = RollingPlan.step(UpdateStrategy.defaults(), 2, 2, 1, old, 4);
        assertThat(step.toStop()).containsExactly("sick");
    }

    @Test
    void unhealthyOldInstancesBelowTheMinimumStayWhileTheNewOnesHaveRoom() {
        // one slow round of probes made every old instance unhealthy while the new ones started
        List<RollingPlan.Old> old = IntStream.rangeClosed(1, 4).mapToObj(i -> new RollingPlan.Old("old-" + i, false))
                .toList();
        RollingPlan.Step step = RollingPlan.step(UpdateStrategy.defaults(), 4, 4, 0, old, 8);
        assertThat(step.toStop()).isEmpty();
        assertThat(step.toStart()).isZero();
    }

    @Test
    void unhealthyOldInstancesMakeRoomForTheNewOnesWhenThereIsNone() {
        // no surge allowed: 2 old ones and 1 new one fill the 3 places
        List<RollingPlan.Old> old = List.of(new RollingPlan.Old("sick-1", false), new RollingPlan.Old("sick-2", false));
        RollingPlan.Step step = RollingPlan.step(new UpdateStrategy(0.5, 0.0, DEADLINE), 3, 1, 0, old, 3);
        assertThat(step.toStop()).as("room for the 2 new ones still to start").containsExactly("sick-1", "sick-2");
        assertThat(step.toStart()).isZero(); // the room comes once they are gone
    }

    @Test
    void minimumOneWithoutSurgeIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new UpdateStrategy(1.0, 0.0, DEADLINE))
                .hasMessageContaining("update.maximumOverCapacity");
    }

    /**
     * A simulated rollout under any strategy, where each started instance becomes healthy on the
     * next step and a stopped one is gone on the next step: it always ends with every instance
     * new, never has fewer healthy than the minimum, nor more running than the maximum.
     */
    @Test
    void everyStrategyCompletesWithinItsBounds() {
        qt().forAll(integers().between(1, 30), integers().between(0, 100), integers().between(0, 100))
                .assuming((n, m, o) -> !(m == 100 && o == 0))
                .checkAssert((n, m, o) -> simulate(n, new UpdateStrategy(m / 100.0, o / 100.0, DEADLINE)));
    }

    private static void simulate(int n, UpdateStrategy s) {
        List<String> old = new ArrayList<>(IntStream.rangeClosed(1, n).mapToObj(i -> "old-" + i).toList());
        int newHealthy = 0;
        int newStarting = 0;
        int stopping = 0;
        for (int round = 0; round < 10 * n + 10; round++) {
            int live = old.size() + newHealthy + newStarting + stopping;
            assertThat(old.size() + newHealthy).as("healthy").isGreaterThanOrEqualTo(Math.min(s.minimumHealthy(n),
                    n));
            assertThat(live).as("running").isLessThanOrEqualTo(s.maximumRunning(n));
            if (old.isEmpty() && newHealthy == n) {
                return;
            }
            // last step's starts are healthy now, its stops are gone
            newHealthy += newStarting;
            newStarting = 0;
            stopping = 0;
            live = old.size() + newHealthy;
            RollingPlan.Step step = RollingPlan.step(s, n, newHealthy, newHealthy,
                    old.stream().map(id -> new RollingPlan.Old(id, true)).toList(), live);
            old.removeAll(step.toStop());
            stopping = step.toStop().size();
            newStarting = step.toStart();
            assertThat(old.size() + newHealthy).as("healthy after stops").isGreaterThanOrEqualTo(s.minimumHealthy(n));
            assertThat(live + newStarting).as("running after starts").isLessThanOrEqualTo(s.maximumRunning(n));
        }
        throw new AssertionError("the rollout of " + n + " with " + s + " did not finish");
    }
}
