// Owns the state layout of earlier versions (apps/<name>.json and instances.json): reading it, and removing it once migrated.
package dev.berth.core.internal.state;

import dev.berth.spi.AppRecord;
import dev.berth.api.InstanceRecord;
import dev.berth.api.StateStoreException;
import dev.berth.support.AtomicFiles;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layout earlier versions wrote: one {@code apps/<name>.json} per app and one
 * {@code instances.json}, each replaced whole on every change. Read with the same checks and the
 * same error messages as then; carried into a snapshot by the first write. Stateless and
 * thread-safe.
 */
final class LegacyState {
    private static final Logger log = LoggerFactory.getLogger(LegacyState.class);

    private LegacyState() {
    }

    /** Whether {@code dir} holds this layout (an {@code apps} dir or an {@code instances.json}). */
    static boolean present(Path dir) {
        return Files.isDirectory(dir.resolve("apps")) || Files.exists(dir.resolve("instances.json"));
    }

    /** The state the layout holds: apps first, so a corrupt app file is named before a corrupt instances file. */
    static StateImage read(Path dir) {
        Path appsDir = dir.resolve("apps");
        List<AppRecord> apps = new ArrayList<>();
        if (Files.isDirectory(appsDir)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(appsDir, "*.json")) {
                for (Path f : files) {
                    apps.add(StateFiles.decode(f, root -> StateReader.app(root, f.getFileName().toString())));
                }
            } catch (IOException e) {
                throw new StateStoreException("cannot list state dir " + appsDir + ": " + e.getMessage(), e);
            }
        }
        Path instancesFile = dir.resolve("instances.json");
        List<InstanceRecord> instances = Files.exists(instancesFile)
                ? StateFiles.decode(instancesFile, StateReader::instances) : List.of();
        return StateImage.of(apps, instances);
    }

    /** Deletes the layout's files (after a snapshot holds what they held); what else sits in {@code apps/} stays. */
    static void remove(Path dir) throws IOException {
        Path appsDir = dir.resolve("apps");
        if (Files.isDirectory(appsDir)) {
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> all = Files.newDirectoryStream(appsDir, "{*.json,.*.json.tmp}")) {
                all.forEach(files::add);
            }
            for (Path f : files) {
                Files.delete(f);
            }
            try {
                Files.delete(appsDir);
            } catch (DirectoryNotEmptyException e) {
                log.warn("state dir {}: left {} in place, it holds files Berth did not write", dir, appsDir);
            }
        }
        Files.deleteIfExists(dir.resolve("instances.json"));
        Files.deleteIfExists(dir.resolve(".instances.json.tmp"));
        AtomicFiles.syncDirectory(dir);
    }
}
