// The file-sd module: a Prometheus file_sd_configs JSON file per app listing its ready endpoints, written atomically.
package dev.berth.hooks;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.HookJob;
import dev.berth.api.InvalidSpecException;
import dev.berth.spi.HookModule;
import dev.berth.support.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code file-sd}: keeps {@code DIR/APP.json} (option {@code dir}, an absolute directory) in
 * Prometheus' {@code file_sd_configs} format: a list of target groups, one per ready instance,
 * {@code {"targets": ["host:port"], "labels": {"app", "instance", "node", "release"}}}. Instances
 * without an endpoint are left out (an app without any gets an empty list). The file is replaced
 * whole through a fresh temporary file and a rename, with the project's {@code AtomicFiles}
 * (Prometheus watches it and never reads half of one); it is read back before each change,
 * so the module holds no state of its own and is idempotent by instance.
 */
public final class FileSdModule implements HookModule {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return "file-sd";
    }

    @Override
    public void validate(Map<String, Object> options) {
        String dir = Options.text(options, "dir", null);
        if (!dir.startsWith("/") || dir.contains("/../") || dir.endsWith("/..") || dir.indexOf('\0') >= 0) {
            throw new InvalidSpecException("options.dir", dir, "an absolute directory without '..'");
        }
    }

    @Override
    public synchronized void handle(HookJob job, Map<String, Object> options) throws IOException {
        Path file = Path.of(Options.text(options, "dir", null)).resolve(job.app() + ".json");
        Map<String, Map<String, Object>> groups = read(file); // by instance
        if (job.type() == HookJob.Type.UP && job.endpoint() != null) {
            Map<String, String> labels = new TreeMap<>();
            labels.put("app", job.app());
            labels.put("instance", job.instance());
            labels.put("node", job.node() == null ? "" : job.node());
            labels.put("release", job.release() == null ? "" : job.release());
            groups.put(job.instance(), Map.of("targets", List.of(job.endpoint()), "labels", labels));
        } else {
            groups.remove(job.instance()); // a DOWN, or an UP without an endpoint: nothing to scrape (the file still exists)
        }
        // the project's atomic write: a fresh temporary file (a planted link is never followed), then a rename;
        // readable by Prometheus' user, and not fsynced: the file is made again from the platform's state
        AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new ArrayList<>(groups.values())),
                AtomicFiles.Access.UMASK, AtomicFiles.Durability.ATOMIC_ONLY);
    }

    private static Map<String, Map<String, Object>> read(Path file) throws IOException {
        Map<String, Map<String, Object>> groups = new TreeMap<>();
        if (!Files.exists(file)) {
            return groups;
        }
        List<Map<String, Object>> list = JSON.readValue(file.toFile(), new TypeReference<List<Map<String, Object>>>() { });
        for (Map<String, Object> g : list) {
            Object labels = g.get("labels");
            if (labels instanceof Map<?, ?> l && l.get("instance") instanceof String id) {
                groups.put(id, g);
            }
        }
        return groups;
    }
}
