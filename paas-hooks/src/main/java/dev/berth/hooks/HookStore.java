// The hooks' file: presets and each module's checkpoint per app, written whole and atomically (temp file, fsync, rename).
package dev.berth.hooks;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.HookJob;
import dev.berth.api.StateStoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code hooks.json} beside the platform's state: {@code {"presets": [...], "checkpoints":
 * {module: {app: [instance, ...]}}, "jobs": {module: {app: [job, ...]}}}} (the jobs not yet
 * handled). A write goes to a temporary file, made durable and renamed over the old one (then the
 * directory is synced), so a {@code kill -9} or a power loss leaves the old file or the new one,
 * never half of one. Owner-only: presets hold webhook secrets.
 */
final class HookStore implements HookState {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    HookStore(Path file) {
        this.file = file;
    }

    @Override
    public Snapshot load() {
        if (file == null || !Files.exists(file)) {
            return new Snapshot(List.of(), Map.of(), Map.of());
        }
        try {
            Map<String, Object> tree = JSON.readValue(file.toFile(), new TypeReference<Map<String, Object>>() { });
            List<Preset> presets = new ArrayList<>();
            for (Object o : (List<?>) tree.getOrDefault("presets", List.of())) {
                Map<?, ?> p = (Map<?, ?>) o;
                @SuppressWarnings("unchecked")
                Map<String, Object> options = (Map<String, Object>) p.get("options");
                presets.add(new Preset((String) p.get("module"), (String) p.get("app"), Boolean.TRUE.equals(p.get("enabled")),
                        options == null ? Map.of() : options));
            }
            Map<String, Map<String, Set<String>>> checkpoints = new TreeMap<>();
            ((Map<?, ?>) tree.getOrDefault("checkpoints", Map.of())).forEach((module, apps) ->
                    ((Map<?, ?>) apps).forEach((app, ids) -> checkpoints.computeIfAbsent((String) module, m -> new TreeMap<>())
                            .put((String) app, new TreeSet<>(((List<?>) ids).stream().map(String::valueOf).toList()))));
            Map<String, Map<String, List<HookJob>>> jobs = new TreeMap<>();
            ((Map<?, ?>) tree.getOrDefault("jobs", Map.of())).forEach((module, apps) ->
                    ((Map<?, ?>) apps).forEach((app, list) -> jobs.computeIfAbsent((String) module, m -> new TreeMap<>())
                            .put((String) app, ((List<?>) list).stream().map(j -> JobJson.parse((Map<?, ?>) j)).toList())));
            return new Snapshot(presets, checkpoints, jobs);
        } catch (IOException | RuntimeException e) { // unreadable JSON, a wrong shape, a bad job
            throw new StateStoreException("hooks file " + file + " cannot be read: " + e.getMessage()
                    + "; move it away to start with no presets", e);
        }
    }

    @Override
    public synchronized void save(Snapshot s) {
        if (file == null) {
            return;
        }
        Map<String, Object> tree = new TreeMap<>();
        tree.put("presets", s.presets().stream().map(p -> Map.of("module", p.module(), "app", p.app(), "enabled", p.enabled(),
                "options", new TreeMap<>(p.options()))).toList());
        tree.put("checkpoints", s.checkpoints());
        Map<String, Map<String, List<Map<String, Object>>>> jobs = new TreeMap<>();
        s.jobs().forEach((module, apps) -> apps.forEach((app, list) -> {
            if (!list.isEmpty()) {
                jobs.computeIfAbsent(module, m -> new TreeMap<>()).put(app, list.stream().map(JobJson::fields).toList());
            }
        }));
        tree.put("jobs", jobs);
        try {
            // owner-only (webhook secrets are in it), fsync of the file and of its directory, then rename
            dev.berth.support.AtomicFiles.write(file, JSON.writeValueAsBytes(tree));
        } catch (IOException e) {
            throw new StateStoreException("hooks file " + file + " cannot be written: " + e.getMessage(), e);
        }
    }
}
