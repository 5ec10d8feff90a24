// The generation directories beside haproxy's configuration (map files, PEM bundles, crt-list), and which generation haproxy runs.
package dev.berth.router.haproxy;

import dev.berth.api.BerthException;
import dev.berth.support.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of each configuration generation, in a directory of their own ({@code gen-<name>},
 * owner-only): the HTTP and HTTPS map files, the PEM bundles (owner-only) and the crt-list that the
 * configuration of that generation names. A generation's files are never changed once haproxy may
 * read them; a new configuration gets a new generation, and the older ones are deleted once it
 * serves. Also remembers what haproxy runs: the generation, its files and its {@link Layout}
 * ({@code null} while unknown: external mode before the first apply, an adopted haproxy, a Runtime
 * API call that failed half-way). Not thread-safe: the router's lock guards every call.
 */
final class Generations {
    private static final Logger LOG = LoggerFactory.getLogger(Generations.class);
    /** The mode of a generation directory (and of the router's scratch directories): rwx------. */
    static final FileAttribute<?> OWNER_ONLY_DIR =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private final HaproxyConfig.Settings settings;
    private String current;
    private HaproxyConfig.Files currentFiles;
    private Layout layout;

    Generations(HaproxyConfig.Settings settings) {
        this.settings = settings;
    }

    /** The files of generation {@code gen} (whether written or not). */
    HaproxyConfig.Files files(String gen) {
        return new HaproxyConfig.Files(settings.generationDir(gen));
    }

    /** Whether generation {@code gen}'s directory exists. */
    boolean exists(String gen) {
        return Files.isDirectory(settings.generationDir(gen));
    }

    /** The generation haproxy runs, or {@code null} before the first one. */
    String current() {
        return current;
    }

    /** The files of the generation haproxy runs. */
    HaproxyConfig.Files currentFiles() {
        return currentFiles;
    }

    /** What haproxy runs, or {@code null} while that is not known. */
    Layout layout() {
        return layout;
    }

    /** haproxy runs generation {@code gen}, with {@code files}, as {@code layout}. */
    void serving(String gen, HaproxyConfig.Files files, Layout layout) {
        this.current = gen;
        this.currentFiles = files;
        this.layout = layout;
    }

    /** haproxy runs {@code layout} now (changed through the Runtime API), or {@code null}: not known. */
    void layout(Layout layout) {
        this.layout = layout;
    }

    /**
     * Writes {@code layout}'s map files, combined certificates (mode 0600) and crt-list into
     * {@code files}' directory (created owner-only); on failure the directory is deleted.
     *
     * @throws BerthException when a file cannot be written
     */
    static void write(HaproxyConfig.Files files, Layout layout, Map<String, PemBundles.Pem> certificates) {
        try {
            Files.createDirectories(files.dir().getParent());
            if (!Files.isDirectory(files.dir())) {
                Files.createDirectory(files.dir(), OWNER_ONLY_DIR);
            }
            AtomicFiles.write(files.httpMap(), HaproxyConfig.httpMap(layout).getBytes(StandardCharsets.UTF_8),
                    AtomicFiles.Access.UMASK, AtomicFiles.Durability.ATOMIC_ONLY);
            AtomicFiles.write(files.httpsMap(), HaproxyConfig.httpsMap(layout).getBytes(StandardCharsets.UTF_8),
                    AtomicFiles.Access.UMASK, AtomicFiles.Durability.ATOMIC_ONLY);
            for (Map.Entry<String, PemBundles.Pem> e : certificates.entrySet()) {
                AtomicFiles.write(files.pem(e.getKey()), e.getValue().content(), AtomicFiles.Access.OWNER_ONLY,
                        AtomicFiles.Durability.ATOMIC_ONLY);
            }
            AtomicFiles.write(files.crtList(), HaproxyConfig.crtList(layout, files).getBytes(StandardCharsets.UTF_8),
                    AtomicFiles.Access.UMASK, AtomicFiles.Durability.ATOMIC_ONLY);
        } catch (IOException e) {
            deleteTree(files.dir());
            throw new BerthException("haproxy router: cannot write " + files.dir() + ": " + e.getMessage(), e);
        }
    }

    /** Deletes every generation directory but {@code gen}'s. */
    void deleteAllBut(String gen) {
        Path keep = settings.generationDir(gen);
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(keep.getParent(), "gen-*")) {
            for (Path d : dirs) {
                if (!d.equals(keep)) {
                    deleteTree(d);
                }
            }
        } catch (IOException e) {
            LOG.debug("haproxy router: cannot list {}: {}", keep.getParent(), e.toString());
        }
    }

    /** Deletes {@code dir} and all it holds, if it exists; a failure is logged (debug) only. */
    static void deleteTree(Path dir) {
        try {
            AtomicFiles.deleteTree(dir);
        } catch (IOException e) {
            LOG.debug("haproxy router: cannot delete {}: {}", dir, e.toString());
        }
    }
}
