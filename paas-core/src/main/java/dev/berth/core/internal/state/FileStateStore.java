// Owns the default StateStore: the state dir's lock, and loading and writing its snapshot and journal.
package dev.berth.core.internal.state;

import dev.berth.spi.AppRecord;
import dev.berth.api.InstanceRecord;
import dev.berth.spi.StateChanges;
import dev.berth.spi.StateStore;
import dev.berth.api.StateStoreException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * The default {@link StateStore}: a snapshot of the whole state plus a journal of the batches
 * written since, so a write costs its batch, not the state.
 *
 * <p>Layout: {@code snapshot.json} holds every app and instance record and its generation G
 * (absent before the first compaction: G = 0, empty); {@code journal-G.log} holds one line per
 * batch written since ({@link JournalFrames}: length, CRC32, JSON), then zero bytes the
 * {@link Journal} preallocated. {@link #write} writes one record after the last and fsyncs it
 * before returning. When the journal has grown past max(1 MiB, the
 * snapshot's size), the next write compacts: whole-state work once per journal's worth of
 * changes, so amortized O(1) per changed byte. A load reads the snapshot and replays its journal,
 * with the same checks of every record as the earlier layout had ({@link StateReader}), then
 * answers from memory: this store is the dir's only writer (it holds the dir's {@code lock}).
 *
 * <p>Why every crash point of a compaction from G to G+1 is safe: (1) snapshot G+1 is written to
 * a temporary file, fsynced, renamed over {@code snapshot.json} and the dir fsynced; before the
 * rename a reload sees snapshot G and journal G, which hold everything acknowledged; after it,
 * snapshot G+1, which holds the same, and no journal G+1 yet. (2) Journal G+1 is created (and the
 * dir fsynced) only after that, at its first append, so a journal never exists without the
 * snapshot it follows: a journal newer than the snapshot is reported as corruption, never
 * skipped. (3) Journal G and legacy files are deleted last; a leftover older journal is ignored
 * by loads and deleted by the next compaction. A batch is one record, so it is applied wholly or
 * not at all: a torn or checksum-failing last record was never acknowledged (each acknowledged
 * record was fsynced before the next began) and is ignored, then cut off at the next write; a bad
 * record followed by more is corruption, reported with the file and byte offset; zeros after the
 * last record are preallocated space (a torn record followed only by zeros is still a torn tail).
 *
 * <p>A dir of the earlier layout ({@code apps/<name>.json}, {@code instances.json}) is read as it
 * always was, with the same errors, and carried into snapshot 1 by the first write. Opening and
 * loading change nothing on disk. A file that cannot be read is reported with its path, the
 * field and the value, and is never treated as empty. Thread-safe (methods are synchronized).
 */
public final class FileStateStore implements StateStore {
    /** The journal size below which no compaction happens. */
    static final long MIN_COMPACT_BYTES = 1024 * 1024;

    private final Path dir;
    private final long minCompactBytes;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private StateLog state; // guarded by this; null until the first load

    private FileStateStore(Path dir, long minCompactBytes, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.minCompactBytes = minCompactBytes;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Opens (creating if needed) the state dir and locks it; reads nothing yet.
     *
     * @throws StateStoreException when it cannot be created or another platform holds it
     */
    public static FileStateStore open(Path dir) {
        return open(dir, MIN_COMPACT_BYTES);
    }

    /** {@link #open(Path)} compacting once the journal passes max({@code minCompactBytes}, the snapshot). */
    static FileStateStore open(Path dir, long minCompactBytes) {
        Path abs = dir.toAbsolutePath().normalize();
        FileChannel ch = null;
        try {
            Files.createDirectories(abs);
            ch = FileChannel.open(abs.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                throw new StateStoreException("state dir " + abs + " is in use by another platform (its 'lock' file is held); "
                        + "close that platform or choose another state dir", null);
            }
            return new FileStateStore(abs, minCompactBytes, ch, lock);
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

    private StateLog state() {
        if (state == null) {
            state = StateLog.load(dir, minCompactBytes);
        }
        return state;
    }

    @Override
    public synchronized Map<String, AppRecord> loadApps() {
        return state().image().apps();
    }

    @Override
    public synchronized List<InstanceRecord> loadInstances() {
        return state().image().instances();
    }

    @Override
    public synchronized void write(StateChanges changes) {
        if (!changes.isEmpty()) {
            state().write(changes);
        }
    }

    /** Compacts now, whatever the journal's size (tests use it to reach each layout). */
    synchronized void compact() {
        state().compact();
    }

    @Override
    public synchronized void close() {
        if (!lockChannel.isOpen()) {
            return; // closed already
        }
        if (state != null) {
            state.close();
        }
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            throw new StateStoreException("cannot release the lock of state dir " + dir + ": " + e.getMessage(), e);
        }
    }
}
