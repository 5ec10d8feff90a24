package dev.berth.core.internal.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.BerthException;
import dev.berth.api.DeployRecord;
import dev.berth.api.Endpoint;
import dev.berth.api.ExitInfo;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Rollout;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The default {@link StateStore}: one JSON file per app under {@code apps/} and one
 * {@code instances.json}, each written atomically (write, fsync, rename). A lock file keeps two
 * platforms from sharing one state dir. A file that cannot be parsed is reported with its path,
 * never treated as empty. Thread-safe (methods are synchronized).
 */
public final class FileStateStore implements StateStore {
    private static final int FORMAT = 1;
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
                        + "close that platform or choose another --state dir", null);
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
        JsonNode root = readJson(file);
        try {
            checkFormat(file, root);
            String release = text(root, "release", file);
            boolean stopped = root.path("stopped").asBoolean(false);
            JsonNode specNode = root.get("spec");
            if (specNode == null || !specNode.isObject()) {
                throw corrupt(file, "field 'spec' is missing", null);
            }
            String name = text(root, "name", file);
            AppSpec spec = spec(name, specNode);
            if (!file.getFileName().toString().equals(name + ".json")) {
                throw corrupt(file, "it holds app '" + name + "', not the app its name says", null);
            }
            Rollout rollout = null;
            JsonNode r = root.get("rollout");
            if (r != null && !r.isNull()) {
                rollout = new Rollout(text(r, "fromRelease", file), spec(name, r.get("fromSpec")),
                        Instant.parse(text(r, "startedAt", file)), Instant.parse(text(r, "deadline", file)));
            }
            List<DeployRecord> history = new ArrayList<>();
            for (JsonNode d : root.path("history")) {
                String finished = d.path("finishedAt").asText("");
                history.add(new DeployRecord(text(d, "release", file), spec(name, d.get("spec")),
                        Instant.parse(text(d, "startedAt", file)), finished.isEmpty() ? null : Instant.parse(finished),
                        DeployRecord.Outcome.valueOf(text(d, "outcome", file)), d.path("reason").asText("")));
            }
            return new AppRecord(spec, release, stopped, rollout, history);
        } catch (StateStoreException e) {
            throw e;
        } catch (BerthException | IllegalArgumentException | java.time.DateTimeException e) {
            throw corrupt(file, e.getMessage(), e);
        }
    }

    private static AppSpec spec(String name, JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("a spec is missing");
        }
        return SpecCodec.fromTree(name, JSON.convertValue(node, Object.class));
    }

    @Override
    public synchronized void saveApp(AppRecord app) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
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

    @Override
    public synchronized void deleteApp(String name) {
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
        JsonNode root = readJson(instancesFile);
        checkFormat(instancesFile, root);
        JsonNode list = root.get("instances");
        if (list == null || !list.isArray()) {
            throw corrupt(instancesFile, "field 'instances' is missing or not a list", null);
        }
        List<InstanceRecord> out = new ArrayList<>();
        try {
            for (JsonNode n : list) {
                out.add(readInstance(n));
            }
        } catch (RuntimeException e) {
            throw corrupt(instancesFile, e.getMessage(), e);
        }
        return out;
    }

    private InstanceRecord readInstance(JsonNode n) {
        Endpoint endpoint = null;
        if (n.hasNonNull("endpoint")) {
            JsonNode e = n.get("endpoint");
            endpoint = new Endpoint(e.get("host").asText(), e.get("port").asInt());
        }
        ExitInfo exit = null;
        if (n.hasNonNull("lastExit")) {
            JsonNode e = n.get("lastExit");
            exit = new ExitInfo(e.get("code").asInt(), Instant.parse(e.get("at").asText()), e.get("reason").asText());
        }
        return new InstanceRecord(req(n, "id"), req(n, "app"), req(n, "release"), req(n, "node"),
                InstanceState.valueOf(req(n, "state")), endpoint, n.hasNonNull("handle") ? n.get("handle").asText() : null,
                n.path("restarts").asInt(0), n.hasNonNull("startedAt") ? Instant.parse(n.get("startedAt").asText()) : null,
                exit);
    }

    private static String req(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("an instance lacks the text field '" + field + "'");
        }
        return v.asText();
    }

    @Override
    public synchronized void saveInstances(List<InstanceRecord> instances) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
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

    private JsonNode readJson(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            JsonNode root = JSON.readTree(bytes);
            if (root == null || !root.isObject()) {
                throw corrupt(file, "it is empty or not a JSON object", null);
            }
            return root;
        } catch (JsonProcessingException e) {
            throw corrupt(file, e.getOriginalMessage() + " at line " + e.getLocation().getLineNr(), e);
        } catch (IOException e) {
            throw new StateStoreException("cannot read state file " + file + ": " + e, e);
        }
    }

    private static void checkFormat(Path file, JsonNode root) {
        int format = root.path("format").asInt(-1);
        if (format != FORMAT) {
            throw corrupt(file, "its 'format' is " + root.path("format") + ", this version reads format " + FORMAT, null);
        }
    }

    private static String text(JsonNode root, String field, Path file) {
        JsonNode v = root.get(field);
        if (v == null || !v.isTextual()) {
            throw corrupt(file, "field '" + field + "' is missing or not text", null);
        }
        return v.asText();
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
