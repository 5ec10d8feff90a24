package dev.berth.core;

import dev.berth.api.AppSpec;
import dev.berth.api.InvalidSpecException;
import dev.berth.core.internal.manifest.MakoManifest;
import dev.berth.core.internal.manifest.ManifestLoader;
import dev.berth.core.internal.manifest.SpecCodec;
import dev.berth.core.internal.manifest.YamlManifest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes app manifests: Berth's YAML (with per-cluster variants) and Mako Master's
 * JSON. The YAML schema is documented in {@code docs/manifests.md}.
 *
 * <p>Every error is an {@link InvalidSpecException} whose message names the file, the line,
 * the app, the field, the bad value and what is allowed, e.g.
 * {@code apps/web.yml line 7: app 'web': instances: '-2' is not allowed; must be 0-10000 or ALL ("*")}.
 * Loading is all or nothing: on any error nothing is returned. A manifest may be at most 1 MiB
 * (and a YAML line at most 64 Ki characters), checked before parsing; manifest files that are
 * symbolic links are refused, not followed; errors never quote env values, nor more of a file
 * that does not parse than the offending token. Stateless and thread-safe.
 */
public final class Manifests {
    private Manifests() {
    }

    /** The apps of every {@code *.yml}, {@code *.yaml} and {@code *.json} (Mako) file in {@code dir}, without cluster variants. */
    public static List<AppSpec> load(Path dir) {
        return ManifestLoader.load(dir, null);
    }

    /**
     * The apps of every manifest file in {@code dir} (non-recursive, in file-name order), with the
     * variant for {@code cluster} applied where an app has one. An app defined in two files is an
     * error naming both.
     */
    public static List<AppSpec> load(Path dir, String cluster) {
        return ManifestLoader.load(dir, cluster);
    }

    /**
     * The apps of a YAML manifest.
     *
     * @param origin  the name used in error messages, such as a file name
     * @param cluster the cluster whose variants apply, or null for none
     */
    public static List<AppSpec> parseYaml(String text, String origin, String cluster) {
        return YamlManifest.parse(text, origin, cluster);
    }

    /** The apps of a Mako Master JSON manifest; {@code origin} names it in error messages. */
    public static List<AppSpec> parseMakoJson(String text, String origin) {
        return MakoManifest.parse(text, origin);
    }

    /** The apps as a YAML manifest that {@link #parseYaml} reads back to equal specs. */
    public static String toYaml(List<AppSpec> specs) {
        return YamlManifest.write(specs);
    }

    /**
     * The apps as a Mako Master JSON manifest.
     *
     * @throws InvalidSpecException for an app using what Mako cannot express (health checks,
     *                              restart policies, constraints, resources other than load, more
     *                              than one domain, a source other than a commit of its own repository)
     */
    public static String toMakoJson(List<AppSpec> specs) {
        return MakoManifest.write(specs);
    }

    /**
     * One app's spec as the YAML schema's tree (maps, lists, strings, numbers, booleans), without
     * its name: what the control API sends as an app's JSON. {@link #fromTree} reads it back.
     */
    public static Map<String, Object> toTree(AppSpec spec) {
        return SpecCodec.toTree(spec);
    }

    /**
     * The spec of app {@code name} from one app's tree of the YAML schema (e.g. a parsed JSON body).
     *
     * @throws InvalidSpecException naming the app, the field, the bad value and what is allowed
     */
    public static AppSpec fromTree(String name, Object tree) {
        return SpecCodec.fromTree(name, tree);
    }
}
