// Platform's checks refuse a command whose ${NAME} is not an env key nor a BERTH_ variable, before anything runs.
package dev.berth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.berth.api.AppSpec;
import dev.berth.api.InvalidSpecException;

class CommandReferencesCheckTest {
    @TempDir
    Path dir;

    @Test
    void aManifestCommandWithAKnownReferenceIsDeployable() throws Exception {
        Files.writeString(dir.resolve("web.yml"), """
                apps:
                  web:
                    command: [python3, -m, http.server, "${PORT}", "--id=${BERTH_INSTANCE_ID}", "$${LITERAL}"]
                    env: {PORT: RANDOM_PORT}
                """);
        List<AppSpec> specs = Manifests.load(dir);
        Platform.checkDeployable(specs.get(0));
        assertThat(specs.get(0).command()).contains("${PORT}");
    }

    @Test
    void aTypoInAReferenceIsRefusedNamingAppFieldAndTheKnownNames() throws Exception {
        Files.writeString(dir.resolve("web.yml"), """
                apps:
                  web:
                    command: [python3, -m, http.server, "${PROT}"]
                    env: {PORT: RANDOM_PORT, API_TOKEN: s3cret}
                """);
        AppSpec spec = Manifests.load(dir).get(0);
        assertThatThrownBy(() -> Platform.checkDeployable(spec))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageStartingWith("app 'web': command[3]: '${PROT}' is not allowed")
                .hasMessageContaining("API_TOKEN, BERTH_APP, BERTH_INSTANCE_ID, BERTH_NODE, BERTH_RELEASE, PORT")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void aShellParameterExpansionNeedsTheEscape() {
        AppSpec bad = AppSpec.builder("web").command("sh", "-c", "exec app --port ${PORT:-8080}").env("PORT", "9000").build();
        assertThatThrownBy(() -> Platform.checkDeployable(bad))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("command[2]")
                .hasMessageContaining("$${ for a literal ${");
        Platform.checkDeployable(AppSpec.builder("web").command("sh", "-c", "exec app --port $${PORT:-8080}")
                .env("PORT", "9000").build());
    }
}
