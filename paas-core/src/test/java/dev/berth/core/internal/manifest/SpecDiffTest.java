// SpecDiff: field paths of the manifest schema, lists compared whole, env values never shown.
package dev.berth.core.internal.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.AppSpec;
import dev.berth.api.DeployPlan;
import dev.berth.api.Instances;
import dev.berth.api.Resources;
import dev.berth.api.Routing;
import org.junit.jupiter.api.Test;

class SpecDiffTest {
    private static AppSpec.Builder web() {
        return AppSpec.builder("web").command("serve", "--port", "$PORT").env("PORT", AppSpec.RANDOM_PORT)
                .env("TOKEN", "abc123").instances(Instances.of(2)).resources(Resources.builder().cpu(0.5).build())
                .routing(Routing.of("web.test"));
    }

    @Test
    void theSameSpecHasNoChanges() {
        assertThat(SpecDiff.between(web().build(), web().build())).isEmpty();
    }

    @Test
    void changedFieldsAreNamedByTheirPathAndListsComparedWhole() {
        AppSpec after = web().command("serve", "--port", "$PORT", "--fast").instances(Instances.ALL)
                .resources(Resources.builder().cpu(1).build()).build();
        assertThat(SpecDiff.between(web().build(), after)).extracting(DeployPlan.Change::field)
                .containsExactlyInAnyOrder("command", "instances", "resources.cpu");
        assertThat(SpecDiff.between(web().build(), after)).filteredOn(c -> c.field().equals("instances"))
                .singleElement().isEqualTo(new DeployPlan.Change("instances", "2", "*"));
    }

    @Test
    void envValuesAreHiddenOnEitherSide() {
        AppSpec after = web().env("TOKEN", "xyz789").env("NEW", "v").build();
        AppSpec less = AppSpec.builder("web").command("serve", "--port", "$PORT").env("PORT", AppSpec.RANDOM_PORT)
                .instances(Instances.of(2)).resources(Resources.builder().cpu(0.5).build()).routing(Routing.of("web.test"))
                .build();
        assertThat(SpecDiff.between(web().build(), after)).containsExactlyInAnyOrder(
                new DeployPlan.Change("env.TOKEN", SpecDiff.HIDDEN, SpecDiff.HIDDEN),
                new DeployPlan.Change("env.NEW", null, SpecDiff.HIDDEN));
        assertThat(SpecDiff.between(web().build(), less)).containsExactly(
                new DeployPlan.Change("env.TOKEN", SpecDiff.HIDDEN, null));
        assertThat(SpecDiff.between(null, after).toString()).doesNotContain("xyz789").contains("env.TOKEN");
    }
}
