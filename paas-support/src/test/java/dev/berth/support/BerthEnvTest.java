// BerthEnv: the same four variables on every backend, put over the app's own values.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link BerthEnv} writes the contract's variables, and an app's own value of one never survives. */
class BerthEnvTest {
    @Test
    void anInstanceGetsAllFourAndASetupAllButTheInstanceOverWhatTheAppSet() {
        Map<String, String> instance = new LinkedHashMap<>(Map.of("BERTH_NODE", "spoofed", "PORT", "8080"));
        BerthEnv.putInstance(instance, "web", "web-1", "r1-x", "n1");
        assertThat(instance).containsEntry("BERTH_APP", "web").containsEntry("BERTH_INSTANCE_ID", "web-1")
                .containsEntry("BERTH_RELEASE", "r1-x").containsEntry("BERTH_NODE", "n1").containsEntry("PORT", "8080");

        Map<String, String> setup = new LinkedHashMap<>();
        BerthEnv.putSetup(setup, "web", "r1-x", "n1");
        assertThat(setup).containsOnlyKeys("BERTH_APP", "BERTH_RELEASE", "BERTH_NODE");
        assertThat(BerthEnv.NAMES).containsExactlyInAnyOrder("BERTH_APP", "BERTH_INSTANCE_ID", "BERTH_RELEASE", "BERTH_NODE");
    }
}
