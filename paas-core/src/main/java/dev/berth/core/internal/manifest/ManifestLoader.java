package dev.berth.core.internal.manifest;

import dev.berth.api.AppSpec;
import dev.berth.api.BerthException;
import dev.berth.api.InvalidSpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads every manifest file of a directory: {@code *.yml} and {@code *.yaml} (YAML manifests)
 * and {@code *.json} (Mako Master manifests), in file-name order, not recursing. All or nothing:
 * the first error is thrown and nothing is returned. A manifest must be a regular file of at most
 * {@link ManifestBytes#MAX_BYTES} bytes: symbolic links are refused, not followed. Stateless and
 * thread-safe.
 */
public final class ManifestLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ManifestLoader.class);

    private ManifestLoader() {
    }

    /** The apps of every manifest file in {@code dir}, for {@code cluster} (null: no variants). */
    public static List<AppSpec> load(Path dir, String cluster) {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            // directories named like manifests are skipped; links and other non-files are refused when read
            files = list.filter(p -> isManifest(p.getFileName().toString()))
                    .filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new BerthException("cannot list manifest directory " + dir + ": " + e, e);
        }
        Map<String, Loaded> byName = new HashMap<>();
        java.util.SortedSet<String> clusters = new java.util.TreeSet<>();
        List<AppSpec> out = new ArrayList<>();
        for (Path file : files) {
            String origin = file.toString();
            String text = ManifestBytes.read(file);
            String name = file.getFileName().toString();
            List<Loaded> loaded = name.endsWith(".json")
                    ? MakoManifest.read(text, origin)
                    : YamlManifest.read(text, origin, cluster);
            for (Loaded l : loaded) {
                Loaded first = byName.putIfAbsent(l.spec().name(), l);
                if (first != null) {
                    throw Where.locate(new InvalidSpecException("name", l.spec().name(),
                            "each app may be defined once; it is also defined in " + Where.at(first.origin(), first.line()))
                            .in("app '" + l.spec().name() + "'"), l.origin(), l.line());
                }
                out.add(l.spec());
                clusters.addAll(l.clusters());
            }
            LOG.debug("Read {} app(s) from manifest {}", loaded.size(), origin);
        }
        if (cluster != null && !clusters.contains(cluster)) {
            // a typo ('stagin') must not silently deploy the base config
            throw new InvalidSpecException("cluster", cluster, clusters.isEmpty()
                    ? "no manifest in " + dir + " has cluster variants (clusters: ...); leave the cluster out"
                    : "it is not defined by any manifest in " + dir + "; the clusters defined there are "
                            + String.join(", ", clusters));
        }
        LOG.info("Loaded {} app(s) from {} manifest file(s) in {}{}", out.size(), files.size(), dir,
                cluster == null ? "" : " for cluster '" + cluster + "'");
        return List.copyOf(out);
    }

    private static boolean isManifest(String name) {
        return name.endsWith(".yml") || name.endsWith(".yaml") || name.endsWith(".json");
    }
}
