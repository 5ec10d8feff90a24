package dev.berth.api;

import dev.berth.spi.InstanceConsole;
import java.util.Map;
import java.util.Objects;

/**
 * One instance as the platform and its backend both see it: the platform's record, and what the
 * backend reports of the running thing (see {@link InstanceConsole#describe}). Immutable.
 *
 * @param record  what the platform knows of the instance
 * @param backend what the backend knows: for a container its id, image, state and limits; for a
 *                process its pid and directory; empty when it does not run
 */
public record InstanceInfo(InstanceRecord record, Map<String, String> backend) {
    public InstanceInfo {
        Objects.requireNonNull(record, "record");
        backend = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(backend));
    }
}
