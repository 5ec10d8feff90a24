// Instance directories and pid files under the base directory: found, and retired when their process is gone.
package dev.berth.backend.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds instance directories {@code <base>/<node>/<app>/instances/<id>} and their pid files
 * ({@code instance.properties}) under a base directory, and retires a pid file whose process is
 * gone. Names that are not valid segments and symlinks are skipped. Stateless.
 */
final class InstanceDirs {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceDirs.class);

    /** A readable pid file and its directory. */
    record Found(Path dir, InstanceFile file) {
        /** Whether the process its pid file describes still runs. */
        boolean alive() {
            return file.process().isPresent();
        }
    }

    private InstanceDirs() {
    }

    /** The readable pid files under the base dir, of that instance id only when not null. */
    static List<Found> scan(Path baseDir, String onlyId) {
        List<Found> found = new ArrayList<>();
        for (Path dir : dirs(baseDir, onlyId)) {
            Path file = dir.resolve(InstanceFile.NAME);
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try {
                InstanceFile f = InstanceFile.read(file);
                if (f.instanceId().equals(dir.getFileName().toString())) {
                    found.add(new Found(dir, f));
                }
            } catch (IOException e) {
                LOG.warn("skipping unreadable pid file {}: {}", file, e.toString());
            }
        }
        return found;
    }

    /** {@code <base>/<node>/<app>/instances/<id>} directories, of one id when not null. */
    static List<Path> dirs(Path baseDir, String onlyId) {
        List<Path> dirs = new ArrayList<>();
        for (Path node : children(baseDir, true)) {
            for (Path app : children(node, false)) {
                Path instances = app.resolve("instances");
                if (onlyId != null) {
                    Path dir = instances.resolve(onlyId);
                    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                        dirs.add(dir);
                    }
                } else {
                    dirs.addAll(children(instances, false));
                }
            }
        }
        return dirs;
    }

    /** The sub-directories with segment names; {@code dir} itself is followed only when {@code follow}. */
    private static List<Path> children(Path dir, boolean follow) {
        List<Path> list = new ArrayList<>();
        if (!(follow ? Files.isDirectory(dir) : Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS))) {
            return list;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                if (Names.isSegment(p.getFileName().toString()) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    list.add(p);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}", dir, e.toString());
        }
        list.sort(null);
        return list;
    }

    /** Renames the pid file to the exited name if it still describes that pid. */
    static void retire(Path dir, long pid) {
        Path file = dir.resolve(InstanceFile.NAME);
        try {
            if (Files.exists(file) && InstanceFile.read(file).pid() == pid) {
                Files.move(file, dir.resolve(InstanceFile.EXITED), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (NoSuchFileException e) {
            LOG.debug("pid file {} was already retired (another backend on the same base dir)", file);
        } catch (IOException e) {
            LOG.warn("cannot retire pid file {}: {}", file, e.toString());
        }
    }
}
