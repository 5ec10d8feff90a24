// Finding instances again from their directories and pid files: list and adopt what runs, locate an instance's files.
package dev.berth.backend.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.BackendException;
import dev.berth.spi.RunningInstance;
import dev.berth.support.IdLocks;

/**
 * Rediscovers instances under the base directory: the pid files ({@link InstanceDirs}) of live
 * processes are adopted into the {@link TrackedInstances}, those of gone ones retired (and what
 * they left reaped), and launches whose JVM died before recording them completed first
 * ({@link InterruptedLaunch}). An id locked elsewhere (a start, stop or kill under way) is listed
 * but not touched. Also tells where an instance's directory and record are, live or exited, for
 * the console. Thread-safe.
 */
final class InstanceScanner {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceScanner.class);

    private final Path baseDir;
    private final IdLocks locks;
    private final TrackedInstances instances;

    InstanceScanner(Path baseDir, IdLocks locks, TrackedInstances instances) {
        this.baseDir = baseDir;
        this.locks = locks;
        this.instances = instances;
    }

    /** As {@link ProcessBackend#list()}: the instances that run under the base dir, adopted. */
    List<RunningInstance> list() {
        completeInterruptedLaunches(null);
        List<RunningInstance> result = new ArrayList<>();
        for (InstanceDirs.Found f : InstanceDirs.scan(baseDir, null)) {
            String id = f.file().instanceId();
            boolean alive = f.alive();
            IdLocks.Held lock = locks.tryLock(id);
            boolean locked = lock != null;
            try {
                if (alive) {
                    TrackedProcess t = locked ? instances.adopt(f) : new TrackedProcess(f.file(), f.dir());
                    result.add(t.running());
                } else if (locked) {
                    TrackedProcess t = instances.get(id);
                    if (t == null || t.file.pid() != f.file().pid()) {
                        LOG.info("app '{}' instance '{}': pid {} is gone, retiring its pid file", f.file().app(), id,
                                f.file().pid());
                        InstanceDirs.retire(f.dir(), f.file().pid());
                        Terminator.cleanUp(f.file(), "app '" + f.file().app() + "' instance '" + id + "'");
                    }
                }
            } finally {
                if (locked) {
                    lock.close();
                }
            }
        }
        return result;
    }

    /** The tracked instance with that id if it runs, adopting it from its pid file if needed. */
    Optional<TrackedProcess> findRunning(String id) {
        TrackedProcess t = instances.get(id);
        if (t != null && !t.finished.get() && t.alive()) {
            return Optional.of(t);
        }
        completeInterruptedLaunches(id);
        for (InstanceDirs.Found f : InstanceDirs.scan(baseDir, id)) {
            if (f.alive()) {
                return Optional.of(instances.adopt(f));
            }
        }
        return Optional.empty();
    }

    /** {@link InterruptedLaunch#complete} where a launch intent lies, of one id when not null, skipping ids locked elsewhere. */
    private void completeInterruptedLaunches(String onlyId) {
        for (Path dir : InstanceDirs.dirs(baseDir, onlyId)) {
            if (!Files.exists(dir.resolve(InstanceFile.LAUNCHING), LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            IdLocks.Held lock = locks.tryLock(dir.getFileName().toString());
            if (lock != null) { // re-entered by start, stop and kill; held elsewhere: a launch of that id is under way
                try {
                    InterruptedLaunch.complete(dir);
                } finally {
                    lock.close();
                }
            }
        }
    }

    /** The instance files of what runs under the base dir (tracked or found), for port allocation. */
    List<InstanceFile> liveFiles() {
        List<InstanceFile> files = instances.files();
        for (InstanceDirs.Found f : InstanceDirs.scan(baseDir, null)) {
            if (f.alive()) {
                files.add(f.file());
            }
        }
        return files;
    }

    /** The instance's directory (live or exited), or a BackendException naming the id. */
    Path instanceDir(String id) {
        TrackedProcess t = instances.get(id);
        if (t != null) {
            return t.dir;
        }
        for (Path dir : InstanceDirs.dirs(baseDir, id)) {
            if (Files.exists(dir.resolve(InstanceFile.NAME)) || Files.exists(dir.resolve(InstanceFile.EXITED))) {
                return dir;
            }
        }
        throw new BackendException("unknown instance '" + id + "': no instance directory under " + baseDir);
    }

    /** The instance's record (live or exited), or a BackendException naming the id. */
    InstanceFile instanceFile(String id) {
        TrackedProcess t = instances.get(id);
        if (t != null) {
            return t.file;
        }
        Path dir = instanceDir(id);
        Path live = dir.resolve(InstanceFile.NAME);
        Path file = Files.exists(live) ? live : dir.resolve(InstanceFile.EXITED);
        try {
            return InstanceFile.read(file);
        } catch (IOException e) {
            throw new BackendException("instance '" + id + "': cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
