// The loop's dry run of a deploy: what it would start where, stop, and roll, changing nothing.
package dev.berth.core.internal.reconcile;

import static dev.berth.core.internal.reconcile.LoopHarness.nodes;
import static dev.berth.core.internal.reconcile.LoopHarness.web;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.AppSpec;
import dev.berth.api.DeployPlan;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.PlatformStats;
import dev.berth.api.Instances;
import dev.berth.api.Resources;
import dev.berth.api.RestartPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Planner} through the loop, stepped: its answer, and that nothing changes because of it. */
class ReconcilerPlanTest {
    private final LoopHarness h = new LoopHarness();

    @AfterEach
    void close() {
        h.close();
    }

    private List<InstanceRecord> deployed(int count) {
        h.open(nodes(3), Duration.ofSeconds(30));
        h.loop.deploy(web(count, RestartPolicy.defaults()).build());
        h.until(() -> h.inState(InstanceState.HEALTHY).size() == count);
        return h.instances();
    }

    @Test
    void aNewAppIsPlacedSpreadOverTheNodesAndNothingHappens() {
        h.open(nodes(3), Duration.ofSeconds(30));
        DeployPlan plan = h.loop.plan(web(3, RestartPolicy.defaults()).build());

        assertThat(plan.currentRelease()).isNull();
        assertThat(plan.newRelease()).isTrue();
        assertThat(plan.placement()).isEqualTo(Map.of("n1", 1, "n2", 1, "n3", 1));
        assertThat(plan.toStart()).isEqualTo(3);
        assertThat(plan.steps()).containsExactly(new DeployPlan.Step(3, List.of()));
        assertThat(plan.changes()).extracting(DeployPlan.Change::field).contains("command", "instances", "env.PORT");
        assertThat(plan.changes()).filteredOn(c -> c.field().equals("env.PORT")).singleElement()
                .satisfies(c -> assertThat(c.after()).isEqualTo("(hidden)"));

        h.advance(Duration.ofSeconds(2));
        assertThat(h.loop.view().apps()).isEmpty();
        assertThat(h.backend.startNanos).isEmpty();
        assertThat(h.store.writes).isZero();
        assertThat(h.events).isEmpty();
    }

    @Test
    void aChangedEnvIsANewReleaseRolledInTwoStepsWithItsValuesHidden() {
        List<InstanceRecord> running = deployed(2);
        h.advance(Duration.ofSeconds(1)); // lingering records written
        Map<String, ?> storedApps = Map.copyOf(h.store.loadApps());
        List<InstanceRecord> storedInstances = h.store.loadInstances();
        int events = h.events.size();
        String release = h.loop.view().apps().get("web").release();

        DeployPlan plan = h.loop.plan(web(2, RestartPolicy.defaults()).env("DB_PASSWORD", "s3cret").build());

        assertThat(plan.currentRelease()).isEqualTo(release);
        assertThat(plan.newRelease()).isTrue();
        assertThat(plan.changes()).containsExactly(new DeployPlan.Change("env.DB_PASSWORD", null, "(hidden)"));
        assertThat(plan.toStart()).isEqualTo(2);
        assertThat(plan.toStop()).isEmpty();
        assertThat(plan.steps()).hasSize(2);
        assertThat(plan.steps().get(0)).isEqualTo(new DeployPlan.Step(2, List.of()));
        assertThat(plan.steps().get(1).stop()).containsExactlyInAnyOrderElementsOf(
                running.stream().map(InstanceRecord::id).toList());
        assertThat(plan.toString()).doesNotContain("s3cret");

        h.advance(Duration.ofSeconds(2));
        assertThat(h.loop.view().apps().get("web").release()).isEqualTo(release);
        assertThat(h.instances()).isEqualTo(running);
        assertThat(h.store.loadApps()).isEqualTo(storedApps);
        assertThat(h.store.loadInstances()).isEqualTo(storedInstances);
        assertThat(h.events).hasSize(events);
    }

    @Test
    void aScaleDownIsNoNewReleaseAndNamesTheInstancesItStops() {
        deployed(3);
        DeployPlan plan = h.loop.plan(web(1, RestartPolicy.defaults()).build());

        assertThat(plan.newRelease()).isFalse();
        assertThat(plan.changes()).containsExactly(new DeployPlan.Change("instances", "3", "1"));
        assertThat(plan.toStart()).isZero();
        assertThat(plan.toStop()).hasSize(2);
        assertThat(plan.steps()).containsExactly(new DeployPlan.Step(0, plan.toStop()));
        assertThat(h.loop.plan(web(3, RestartPolicy.defaults()).build()).unchanged()).isTrue();
    }

    @Test
    void placementsAndRouterAppliesAreCountedButPlansAreNot() {
        h.open(nodes(3), Duration.ofSeconds(30));
        h.loop.plan(web(3, RestartPolicy.defaults()).build());
        assertThat(h.loop.stats().placements().count()).as("a plan is no placement").isZero();

        h.loop.deploy(web(3, RestartPolicy.defaults()).build());
        h.until(() -> h.inState(InstanceState.HEALTHY).size() == 3 && h.router.routed(LoopHarness.DOMAIN).size() == 3);
        PlatformStats stats = h.loop.stats();
        assertThat(stats.placements().count()).isPositive();
        assertThat(stats.placements().totalNanos()).isPositive().isGreaterThanOrEqualTo(stats.placements().maxNanos());
        assertThat(stats.routerApplies().count()).isEqualTo(h.router.applied.size()).isPositive();
    }

    @Test
    void whatDoesNotFitIsCountedWithTheSchedulersReason() {
        h.open(nodes(2), Duration.ofSeconds(30)); // 4 cpu each
        AppSpec big = web(3, RestartPolicy.defaults()).resources(Resources.builder().cpu(3).build())
                .instances(Instances.of(3)).build();

        DeployPlan plan = h.loop.plan(big);

        assertThat(plan.toStart()).isEqualTo(3);
        assertThat(plan.placement().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(2);
        assertThat(plan.unplaced()).isEqualTo(1);
        assertThat(plan.unplacedReason()).contains("cpu");
    }
}
