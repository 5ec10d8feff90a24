// A module's preset for one app: enabled or not, and the options the module checked.
package dev.berth.hooks;

import java.util.Map;
import java.util.Objects;

/**
 * MConn's preset: whether {@code module} gets {@code app}'s jobs, and with which options. Options
 * are JSON values (strings, numbers, booleans, lists, maps); copied. Immutable.
 *
 * @param module  the module's name
 * @param app     the app's name
 * @param enabled whether jobs are delivered
 * @param options the module's options for this app
 */
public record Preset(String module, String app, boolean enabled, Map<String, Object> options) {
    /** A preset; {@code options} is copied. */
    public Preset {
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(app, "app");
        options = Map.copyOf(options);
    }
}
