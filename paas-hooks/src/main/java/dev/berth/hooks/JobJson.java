// A hook job as JSON fields and back: the one shape the webhook body, hooks.json and the API share.
package dev.berth.hooks;

import dev.berth.api.HookJob;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code {"id", "type", "app", "instance", "release", "node", "endpoint", "reason", "at"}}, in that order. */
public final class JobJson {
    private JobJson() {
    }

    /** The job's fields in their fixed order (absent values as null, {@code at} as ISO-8601 text). */
    public static Map<String, Object> fields(HookJob j) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", j.id());
        m.put("type", j.type().name());
        m.put("app", j.app());
        m.put("instance", j.instance());
        m.put("release", j.release());
        m.put("node", j.node());
        m.put("endpoint", j.endpoint());
        m.put("reason", j.reason());
        m.put("at", j.at().toString());
        return m;
    }

    /** The job of {@link #fields} read back. */
    public static HookJob parse(Map<?, ?> m) {
        return new HookJob((String) m.get("id"), HookJob.Type.valueOf((String) m.get("type")), (String) m.get("app"),
                (String) m.get("instance"), (String) m.get("release"), (String) m.get("node"), (String) m.get("endpoint"),
                (String) m.get("reason"), Instant.parse((String) m.get("at")));
    }
}
