// Where a YAML error in an app with cluster variants is said to be: in the app, or in one cluster's variant.
package dev.berth.core.internal.manifest;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.InvalidSpecException;
import org.junit.jupiter.api.Test;

class ClusterErrorPlaceTest {
    @Test
    void aTypoInTheAppItselfIsNotReportedInAClusterVariant() {
        String yaml = """
                apps:
                  web:
                    command: [sleep, '100']
                    instance: 3
                    clusters:
                      staging:
                        instances: 1
                """;
        assertThatThrownBy(() -> YamlManifest.parse(yaml, "apps/web.yml", "staging"))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageStartingWith("apps/web.yml line 4: app 'web': instance:")
                .hasMessageContaining("instance: 'instance' is not allowed; not a known field; did you mean 'instances'?")
                .hasMessageNotContaining("in cluster");
        assertThatThrownBy(() -> YamlManifest.parse(yaml, "apps/web.yml", null))
                .hasMessageStartingWith("apps/web.yml line 4: app 'web': instance:")
                .hasMessageNotContaining("in cluster");
    }

    @Test
    void aBadValueOfTheAppThatNoVariantOverridesIsTheApps() {
        String yaml = """
                apps:
                  web:
                    command: [sleep, '100']
                    instances: -2
                    clusters:
                      staging:
                        routing: {domains: [web.test]}
                """;
        assertThatThrownBy(() -> YamlManifest.parse(yaml, "apps/web.yml", "staging"))
                .hasMessageStartingWith("apps/web.yml line 4: app 'web': instances: '-2' is not allowed")
                .hasMessageNotContaining("in cluster");
    }

    @Test
    void aMistakeInAVariantIsStillReportedInThatVariant() {
        String yaml = """
                apps:
                  web:
                    command: [sleep, '100']
                    instances: 2
                    clusters:
                      staging:
                        instances: -1
                      prod:
                        instanse: 4
                """;
        assertThatThrownBy(() -> YamlManifest.parse(yaml, "apps/web.yml", null))
                .hasMessageStartingWith("apps/web.yml line 7: app 'web' in cluster 'staging': instances: '-1'");
        String typo = yaml.replace("instances: -1", "instances: 1");
        assertThatThrownBy(() -> YamlManifest.parse(typo, "apps/web.yml", null))
                .hasMessageStartingWith("apps/web.yml line 9: app 'web' in cluster 'prod': instanse:");
    }
}
