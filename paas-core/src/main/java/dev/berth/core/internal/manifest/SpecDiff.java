// The field-by-field differences between two app specs, in the manifest schema's terms, env values hidden.
package dev.berth.core.internal.manifest;

import dev.berth.api.AppSpec;
import dev.berth.api.DeployPlan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compares two specs as their manifest trees ({@link SpecCodec#toTree}): each leaf is a field
 * path such as {@code resources.cpu}, {@code routing.domains} or {@code env.DB_URL}; a list is one
 * field, compared whole. Values of {@code env} are never shown (they may be secrets): a changed
 * variable reads {@code (hidden)} on the side where it is set. Pure and thread-safe.
 */
public final class SpecDiff {
    /** How a hidden value is shown. */
    public static final String HIDDEN = "(hidden)";

    private SpecDiff() {
    }

    /** The fields that differ from {@code before} (null: no app yet, so every field of {@code after}) to {@code after}. */
    public static List<DeployPlan.Change> between(AppSpec before, AppSpec after) {
        Map<String, Object> a = new LinkedHashMap<>();
        Map<String, Object> b = new LinkedHashMap<>();
        if (before != null) {
            flatten("", SpecCodec.toTree(before), a);
        }
        flatten("", SpecCodec.toTree(after), b);
        Set<String> fields = new LinkedHashSet<>(b.keySet());
        fields.addAll(a.keySet());
        List<DeployPlan.Change> out = new ArrayList<>();
        for (String f : fields) {
            Object was = a.get(f);
            Object now = b.get(f);
            if (!java.util.Objects.equals(was, now)) {
                boolean hidden = f.startsWith("env.");
                out.add(new DeployPlan.Change(f, shown(was, hidden), shown(now, hidden)));
            }
        }
        return out;
    }

    private static void flatten(String prefix, Map<?, ?> tree, Map<String, Object> out) {
        for (Map.Entry<?, ?> e : tree.entrySet()) {
            String path = prefix + e.getKey();
            if (e.getValue() instanceof Map<?, ?> m && !m.isEmpty()) {
                flatten(path + ".", m, out);
            } else {
                out.put(path, e.getValue());
            }
        }
    }

    private static String shown(Object value, boolean hidden) {
        if (value == null) {
            return null;
        }
        return hidden ? HIDDEN : String.valueOf(value);
    }
}
