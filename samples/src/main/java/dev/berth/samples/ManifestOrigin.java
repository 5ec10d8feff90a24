// Which manifest file of Serve's folder defines an app: for errors found after loading (a commit never pushed).
package dev.berth.samples;

import dev.berth.api.AppSpec;
import dev.berth.core.Manifests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Puts the manifest file in front of an error that a check of a loaded app found (the platform's
 * checks know specs, not files): {@code "apps/beep.json: app 'beep': opts.commit: ..."}, with the
 * field named as a Mako manifest names it when the file is Mako JSON. Stateless.
 */
final class ManifestOrigin {
    private ManifestOrigin() {
    }

    /** Runs {@code check} on each spec; an error it throws is rethrown naming the spec's manifest file. */
    static void checkEach(Path dir, String cluster, List<AppSpec> specs, Consumer<AppSpec> check) {
        for (AppSpec spec : specs) {
            try {
                check.accept(spec);
            } catch (RuntimeException e) {
                Path file = fileOf(dir, cluster, spec.name());
                if (file == null) {
                    throw e;
                }
                String said = String.valueOf(e.getMessage());
                if (file.getFileName().toString().endsWith(".json")) {
                    said = said.replace("source.git.commit", "opts.commit").replace("source.git.repository", "the app's name");
                }
                throw new IllegalArgumentException(file + ": " + said, e);
            }
        }
    }

    /** The manifest file of {@code dir} that defines {@code app}; null when none does (or it cannot be read now). */
    static Path fileOf(Path dir, String cluster, String app) {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (!Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                List<AppSpec> specs;
                if (name.endsWith(".json")) {
                    specs = Manifests.parseMakoJson(Files.readString(f), f.toString());
                } else if (name.endsWith(".yml") || name.endsWith(".yaml")) {
                    specs = Manifests.parseYaml(Files.readString(f), f.toString(), cluster);
                } else {
                    continue;
                }
                if (specs.stream().anyMatch(s -> s.name().equals(app))) {
                    return f;
                }
            }
        } catch (IOException | RuntimeException e) {
            return null; // the folder changed under us: the error goes out as the check said it
        }
        return null;
    }
}
