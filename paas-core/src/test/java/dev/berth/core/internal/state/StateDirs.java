// Test support: writes state dirs by hand (legacy layout, journal records) and reaches the store's package-private steps.
package dev.berth.core.internal.state;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.spi.AppRecord;
import dev.berth.api.InstanceRecord;
import dev.berth.spi.StateChanges;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Builds state dirs for tests, in every layout the store reads. Stateless. */
public final class StateDirs {
    private StateDirs() {
    }

    /** Writes {@code apps} and {@code instances} in the layout of earlier versions: apps/<name>.json, instances.json. */
    public static void writeLegacy(Path dir, Collection<AppRecord> apps, Collection<InstanceRecord> instances)
            throws IOException {
        Files.createDirectories(dir.resolve("apps"));
        for (AppRecord a : apps) {
            ObjectNode root = StateWriter.app(a);
            ObjectNode withFormat = JsonNodeFactory.instance.objectNode().put("format", StateReader.FORMAT);
            withFormat.setAll(root);
            Files.write(dir.resolve("apps/" + a.name() + ".json"), StateWriter.bytes(withFormat));
        }
        ObjectNode root = JsonNodeFactory.instance.objectNode().put("format", StateReader.FORMAT);
        var list = root.putArray("instances");
        instances.forEach(r -> list.add(StateWriter.instance(r)));
        Files.write(dir.resolve("instances.json"), StateWriter.bytes(root));
    }

    /** Compacts {@code store} now: snapshot G+1, then a fresh journal. */
    public static void compact(FileStateStore store) {
        store.compact();
    }

    /** A whole journal record (frame) holding {@code payload}. */
    public static byte[] frame(byte[] payload) {
        return JournalFrames.frame(payload);
    }

    /** The journal payload of a batch. */
    public static byte[] payload(StateChanges changes) {
        return StateWriter.batch(changes);
    }

    /** The journal file of {@code generation}. */
    public static Path journal(Path dir, int generation) {
        return StateLog.journalFile(dir, generation);
    }

    /** The bytes of {@code journal}'s records: the file less the zero bytes preallocated after them. */
    public static byte[] records(Path journal) throws IOException {
        byte[] all = Files.readAllBytes(journal);
        int end = all.length;
        while (end > 0 && all[end - 1] == 0) {
            end--;
        }
        return java.util.Arrays.copyOf(all, end);
    }

    /** The snapshot file. */
    public static Path snapshot(Path dir) {
        return StateLog.snapshotFile(dir);
    }

    /** A plain-map model of a state store's content: apps by name, instance records in first-saved order. */
    public static final class Model {
        private final Map<String, AppRecord> apps = new TreeMap<>();
        private final Map<String, InstanceRecord> instances = new LinkedHashMap<>();

        /** Applies a batch: saves, then deletions. */
        public void apply(StateChanges c) {
            c.savedApps().forEach(a -> apps.put(a.name(), a));
            c.deletedApps().forEach(apps::remove);
            c.savedInstances().forEach(r -> instances.put(r.id(), r));
            c.deletedInstances().forEach(instances::remove);
        }

        /** The apps. */
        public Map<String, AppRecord> apps() {
            return new TreeMap<>(apps);
        }

        /** The instance records. */
        public List<InstanceRecord> instances() {
            return List.copyOf(instances.values());
        }
    }
}
