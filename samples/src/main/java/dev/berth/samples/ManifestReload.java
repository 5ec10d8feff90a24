// One reload of Serve's manifest folder: check every file, then deploy what changed and remove what is gone.
package dev.berth.samples;

import dev.berth.api.App;
import dev.berth.api.AppSpec;
import dev.berth.core.Manifests;
import dev.berth.core.Platform;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Reloads a manifest folder into a running {@link Platform}: all manifests are read and checked
 * first (the same checks as at Serve's start: every file, {@code --cluster}, commits the manifests
 * pin); any error is printed with its file, line and field and nothing changes. Otherwise the apps
 * that are new or whose manifest changed are deployed, apps no manifest names any more are
 * removed, and the others are not touched. One line per reload says what changed. Thread-safe:
 * reloads run one at a time.
 */
final class ManifestReload {
    private final Platform platform;
    private final Path dir;
    private final String cluster;
    private final PrintStream out;
    private final Consumer<AppSpec> check;
    /** The manifests' specs last deployed, by app name; guarded by this. */
    private final Map<String, AppSpec> applied = new HashMap<>();

    /**
     * @param applied the specs Serve deployed at its start, as the manifests give them
     * @param check   throws what a deploy of the spec would throw (a commit never pushed), changing nothing
     */
    ManifestReload(Platform platform, Path dir, String cluster, List<AppSpec> applied, PrintStream out,
            Consumer<AppSpec> check) {
        this.platform = platform;
        this.dir = dir;
        this.cluster = cluster;
        this.out = out;
        this.check = check;
        applied.forEach(s -> this.applied.put(s.name(), s));
    }

    /** Checks the folder, applies it when every file is good, prints and returns what it did. */
    synchronized String reload() {
        List<AppSpec> specs;
        try {
            specs = Manifests.load(dir, cluster);
            ManifestOrigin.checkEach(dir, cluster, specs, check);
        } catch (RuntimeException e) {
            return say("Serve: reload refused, the running apps are unchanged: " + e.getMessage());
        }
        Map<String, AppSpec> wanted = new LinkedHashMap<>();
        specs.forEach(s -> wanted.put(s.name(), s));
        List<String> said = new ArrayList<>();
        Set<String> running = platform.apps().stream().map(App::name).collect(Collectors.toSet());
        for (AppSpec spec : specs) {
            AppSpec before = applied.get(spec.name());
            if (spec.equals(before) && running.contains(spec.name())) {
                continue; // unchanged: not even a no-op deploy
            }
            try {
                platform.deploy(spec);
                applied.put(spec.name(), spec);
                said.add(spec.name() + (before == null ? " added" : " changed"));
            } catch (RuntimeException e) {
                said.add(spec.name() + " not deployed (" + e.getMessage() + ")");
            }
        }
        for (App app : platform.apps()) {
            if (!wanted.containsKey(app.name())) {
                try {
                    app.remove();
                    said.add(app.name() + " removed");
                } catch (RuntimeException e) {
                    said.add(app.name() + " not removed (" + e.getMessage() + ")");
                }
            }
        }
        applied.keySet().retainAll(wanted.keySet());
        return say("Serve: reloaded: " + (said.isEmpty() ? "no change" : String.join(", ", said)));
    }

    private String say(String line) {
        out.println(line);
        out.flush();
        return line;
    }
}
