package dev.berth.core.internal.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.AppRecord;
import dev.berth.api.BerthException;
import dev.berth.api.DeployRecord;
import dev.berth.api.InstanceRecord;
import dev.berth.api.Rollout;
import dev.berth.api.StateChanges;
import dev.berth.api.StateStore;
import dev.berth.api.StateStoreException;
import dev.berth.core.internal.manifest.SpecCodec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The default {@link StateStore}: one JSON file per app under {@code apps/} and one
 * {@code instances.json}, each written atomically (write, fsync, rename). A lock file keeps two
 * platforms from sharing one state dir. A file that cannot be parsed, or holds a value of the
 * wrong JSON type, an id a spec would refuse or a far-off instant ({@link StateReader}), is
 * reported with its path, the field and the value, and is never treated as empty. Thread-safe
 * (methods are synchronized).
 */
public final class FileStateStore implements StateStore {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;
    private final Path appsDir;
    private final Path instancesFile;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private FileStateStore(Path dir, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.appsDir = dir.resolve("apps");
        this.instancesFile = dir.resolve("instances.json");
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Opens (creating if needed) the state dir and locks it.
     *
     * @throws StateStoreException when it cannot be created or another platform holds it
     */
    public static FileStateStore open(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        FileChannel ch = null;
        try {
            Files.createDirectories(abs.resolve("apps"));
            ch = FileChannel.open(abs.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                throw new StateStoreException("state dir " + abs + " is in use by another platform (its 'lock' file is held); "
                        + "close that platform or choose another state dir", null);
            }
            return new FileStateStore(abs, ch, lock);
        } catch (OverlappingFileLockException e) {
            closeQuietly(ch);
            throw new StateStoreException("state dir " + abs + " is already open in this JVM; close the other platform first", e);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new StateStoreException("cannot open state dir " + abs + ": " + e.getMessage(), e);
        } catch (StateStoreException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing more to do
            }
        }
    }

    /** The state directory. */
    public Path dir() {
        return dir;
    }

    @Override
    public synchronized Map<String, AppRecord> loadApps() {
        Map<String, AppRecord> apps = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(appsDir, "*.json")) {
            for (Path f : files) {
                AppRecord app = readApp(f);
                apps.put(app.name(), app);
            }
        } catch (IOException e) {
            throw new StateStoreException("cannot list state dir " + appsDir + ": " + e.getMessage(), e);
        }
        return apps;
    }

    private AppRecord readApp(Path file) {
        return decode(file, root -> StateReader.app(root, file.getFileName().toString()));
    }

    /**
     * Parses {@code file} and decodes it with {@code decoder}; any error becomes the "corrupt
     * state file" error naming the file, the field and the value.
     */
    private <T> T decode(Path file, java.util.function.Function<JsonNode, T> decoder) {
        byte[] bytes = read(file);
        try {
            return decoder.apply(StateReader.parse(bytes));
        } catch (Fields.Bad e) {
            throw corrupt(file, e.getMessage(), null);
        } catch (BerthException | IllegalArgumentException | java.time.DateTimeException e) {
            throw corrupt(file, e.getMessage(), e);
        } catch (RuntimeException e) {
            throw corrupt(file, "it cannot be decoded (" + e + ")", e); // never an unexplained error
        }
    }

    @Override
    public synchronized void write(StateChanges changes) {
        changes.savedApps().forEach(this::writeApp);
        changes.deletedApps().forEach(this::removeApp);
        if (!changes.savedInstances().isEmpty() || !changes.deletedInstances().isEmpty()) {
            Map<String, InstanceRecord> all = new LinkedHashMap<>();
            loadInstances().forEach(r -> all.put(r.id(), r));
            changes.savedInstances().forEach(r -> all.put(r.id(), r));
            changes.deletedInstances().forEach(all::remove);
            writeInstances(List.copyOf(all.values()));
        }
    }

    private void writeApp(AppRecord app) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", StateReader.FORMAT);
        root.put("name", app.name());
        root.put("release", app.release());
        root.put("stopped", app.stopped());
        root.set("spec", JSON.valueToTree(SpecCodec.toTree(app.spec())));
        Rollout r = app.rollout();
        if (r != null) {
            ObjectNode rn = root.putObject("rollout");
            rn.put("fromRelease", r.fromRelease());
            rn.set("fromSpec", JSON.valueToTree(SpecCodec.toTree(r.fromSpec())));
            rn.put("startedAt", r.startedAt().toString());
            rn.put("deadline", r.deadline().toString());
        }
        var history = root.putArray("history");
        for (DeployRecord d : app.history()) {
            ObjectNode dn = history.addObject();
            dn.put("release", d.release());
            dn.set("spec", JSON.valueToTree(SpecCodec.toTree(d.spec())));
            dn.put("startedAt", d.startedAt().toString());
            if (d.finishedAt() != null) {
                dn.put("finishedAt", d.finishedAt().toString());
            }
            dn.put("outcome", d.outcome().name());
            dn.put("reason", d.reason());
        }
        write(appsDir.resolve(app.name() + ".json"), root);
    }

    private void removeApp(String name) {
        Path f = appsDir.resolve(name + ".json");
        try {
            AtomicFiles.delete(f);
        } catch (IOException e) {
            throw new StateStoreException("cannot delete state file " + f + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized List<InstanceRecord> loadInstances() {
        if (!Files.exists(instancesFile)) {
            return List.of();
        }
        return decode(instancesFile, StateReader::instances);
    }

    private void writeInstances(List<InstanceRecord> instances) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", StateReader.FORMAT);
        ArrayNode list = root.putArray("instances");
        for (InstanceRecord r : instances) {
            ObjectNode n = list.addObject();
            n.put("id", r.id());
            n.put("app", r.app());
            n.put("release", r.release());
            n.put("node", r.node());
            n.put("state", r.state().name());
            if (r.endpoint() != null) {
                n.putObject("endpoint").put("host", r.endpoint().host()).put("port", r.endpoint().port());
            }
            if (r.handle() != null) {
                n.put("handle", r.handle());
            }
            n.put("restarts", r.restarts());
            if (r.startedAt() != null) {
                n.put("startedAt", r.startedAt().toString());
            }
            if (r.lastExit() != null) {
                n.putObject("lastExit").put("code", r.lastExit().code()).put("at", r.lastExit().at().toString())
                        .put("reason", r.lastExit().reason());
            }
        }
        write(instancesFile, root);
    }

    @Override
    public synchronized void close() {
        if (!lockChannel.isOpen()) {
            return; // closed already
        }
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            throw new StateStoreException("cannot release the lock of state dir " + dir + ": " + e.getMessage(), e);
        }
    }

    private static byte[] read(Path file) {
        try {
            long size = Files.size(file);
            if (size > StateReader.MAX_FILE_BYTES) {
                throw corrupt(file, "it is " + size + " bytes, more than a state file ever holds ("
                        + StateReader.MAX_FILE_BYTES + ")", null);
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new StateStoreException("cannot read state file " + file + ": " + e, e);
        }
    }

    private static StateStoreException corrupt(Path file, String why, Throwable cause) {
        return new StateStoreException("state file " + file + " is corrupt: " + why
                + ". Berth does not start from an empty state over it: repair the file or move it away.", cause);
    }

    private void write(Path file, JsonNode root) {
        try {
            AtomicFiles.write(file, JSON.writeValueAsBytes(root));
        } catch (IOException e) {
            throw new StateStoreException("cannot write state file " + file + ": " + e.getMessage(), e);
        }
    }
}
