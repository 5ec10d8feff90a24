package dev.berth.core.internal.manifest;

import dev.berth.api.AppSpec;
import dev.berth.api.InvalidSpecException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The YAML manifest: a mapping with one key, {@code apps}, holding apps by name in the schema
 * of {@link SpecCodec}, each optionally with per-cluster variants. Stateless and thread-safe.
 */
public final class YamlManifest {
    private YamlManifest() {
    }

    /** The apps in {@code text}, for {@code cluster} (null: variants ignored). */
    public static List<AppSpec> parse(String text, String origin, String cluster) {
        return read(text, origin, cluster).stream().map(Loaded::spec).toList();
    }

    static List<Loaded> read(String text, String origin, String cluster) {
        Tree root = YamlReader.read(text, origin);
        if (root == null) {
            return List.of();
        }
        if (!(root instanceof Tree.Obj doc)) {
            throw Where.locate(new InvalidSpecException("document", root.kind(),
                    "must be a mapping with the key 'apps'"), origin, root.line());
        }
        for (String key : doc.entries().keySet()) {
            if (!key.equals("apps")) {
                String shown = Where.shortKey(key);
                throw Where.locate(new InvalidSpecException(shown, doc.entries().get(key).kind(),
                        "'" + shown + "' is not a known top-level field; the only one is apps"), origin, doc.keyLine(key));
            }
        }
        Tree appsTree = doc.entries().get("apps");
        if (appsTree == null || appsTree instanceof Tree.Val v && v.isNull()) {
            return List.of();
        }
        if (!(appsTree instanceof Tree.Obj apps)) {
            throw Where.locate(new InvalidSpecException("apps", TreeValues.render(appsTree),
                    "must be a mapping of app name to app"), origin, doc.keyLine("apps"));
        }
        List<Loaded> out = new ArrayList<>();
        for (Map.Entry<String, Tree> e : apps.entries().entrySet()) {
            int line = apps.keyLine(e.getKey());
            try {
                AppSpec spec = AppDecoder.decodeFor(e.getKey(), e.getValue(), line, cluster);
                out.add(new Loaded(spec, origin, line, AppDecoder.clusterNames(e.getValue())));
            } catch (Located l) {
                throw l.toException(origin);
            }
        }
        return out;
    }

    /** The apps as a YAML manifest that {@link #parse} reads back to equal specs. */
    public static String write(List<AppSpec> specs) {
        Map<String, Object> apps = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        for (AppSpec spec : specs) {
            if (!seen.add(spec.name())) {
                throw new InvalidSpecException("name", spec.name(), "each app may appear once in a manifest")
                        .in("app '" + spec.name() + "'");
            }
            apps.put(spec.name(), SpecCodec.toTree(spec));
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("apps", apps);
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        options.setIndicatorIndent(2);
        options.setIndentWithIndicator(true);
        options.setSplitLines(false);
        options.setAllowUnicode(true);
        return new Yaml(options).dump(doc);
    }
}
