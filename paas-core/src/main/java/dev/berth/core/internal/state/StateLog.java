// Owns a loaded state dir of the journal layout: the image, the snapshot's generation, the journal appended to, and compaction.
package dev.berth.core.internal.state;

import dev.berth.spi.StateChanges;
import dev.berth.api.StateStoreException;
import dev.berth.support.AtomicFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of one dir once loaded: {@code snapshot.json} (generation G) plus the batches of
 * {@code journal-G.log}, or, before the first write, the legacy layout ({@link LegacyState}).
 * {@link #write} appends one fsynced record; when the journal has outgrown
 * max({@code minCompactBytes}, the snapshot) the next write first compacts: snapshot G+1, then
 * a fresh journal G+1, then older journals and legacy files are deleted. See
 * {@link FileStateStore} for why every crash point is safe. Not thread-safe: its owner guards it.
 */
final class StateLog {
    private static final Logger log = LoggerFactory.getLogger(StateLog.class);
    private static final Pattern JOURNAL = Pattern.compile("journal-(0|[1-9][0-9]{0,9})\\.log");
    /** The largest journal read: one is compacted once past the snapshot's size, itself at most 64 MiB. */
    private static final long MAX_JOURNAL_BYTES = 4 * StateReader.MAX_FILE_BYTES;

    private final Path dir;
    private final long minCompactBytes;
    private final StateImage image;
    private int generation;
    private long snapshotBytes;
    private Journal journal;
    private boolean legacy;
    private String failure;

    private StateLog(Path dir, long minCompactBytes, StateImage image, int generation, long snapshotBytes,
                     Journal journal, boolean legacy) {
        this.dir = dir;
        this.minCompactBytes = minCompactBytes;
        this.image = image;
        this.generation = generation;
        this.snapshotBytes = snapshotBytes;
        this.journal = journal;
        this.legacy = legacy;
    }

    /** The snapshot file of {@code dir}. */
    static Path snapshotFile(Path dir) {
        return dir.resolve("snapshot.json");
    }

    /** The journal file of {@code generation} in {@code dir}. */
    static Path journalFile(Path dir, int generation) {
        return dir.resolve("journal-" + generation + ".log");
    }

    /**
     * Reads the state of {@code dir}, changing nothing on disk.
     *
     * @throws StateStoreException naming the file, and for a journal the byte offset, when any is corrupt
     */
    static StateLog load(Path dir, long minCompactBytes) {
        Path snapshotFile = snapshotFile(dir);
        List<Integer> journals = journals(dir);
        StateImage image;
        int generation = 0;
        long snapshotBytes = 0;
        boolean legacy = false;
        if (Files.exists(snapshotFile)) {
            byte[] bytes = StateFiles.read(snapshotFile, StateReader.MAX_FILE_BYTES);
            StateReader.Snapshot s = StateFiles.decode(snapshotFile, bytes, "", StateReader::snapshot);
            image = StateImage.of(s.apps(), s.instances());
            generation = s.generation();
            snapshotBytes = bytes.length;
        } else if (LegacyState.present(dir)) {
            if (!journals.isEmpty()) {
                throw new StateStoreException("state dir " + dir + " holds both the layout of an earlier version (apps/, "
                        + "instances.json) and " + journalFile(dir, journals.get(0)).getFileName() + " but no snapshot.json, "
                        + "which no version of Berth leaves; move one of them away", null);
            }
            image = LegacyState.read(dir);
            legacy = true;
        } else {
            image = StateImage.of(List.of(), List.of());
        }
        for (int g : journals) {
            if (g > generation) {
                throw StateFiles.corrupt(journalFile(dir, g), "it follows snapshot generation " + g + ", but "
                        + snapshotFile.getFileName() + (generation == 0 ? " is missing" : " is of generation " + generation)
                        + ", so the snapshot it follows is lost", null);
            }
        }
        Path journalFile = journalFile(dir, generation);
        long good = legacy || !Files.exists(journalFile) ? 0 : replay(journalFile, image);
        return new StateLog(dir, minCompactBytes, image, generation, snapshotBytes, new Journal(journalFile, good), legacy);
    }

    /** Applies the good records of {@code file} to {@code image}; returns their length. */
    private static long replay(Path file, StateImage image) {
        JournalFrames.Scan scan = JournalFrames.scan(StateFiles.read(file, MAX_JOURNAL_BYTES));
        if (scan.badReason() != null && !scan.tornTail()) {
            throw StateFiles.corrupt(file, "the record at byte " + scan.goodLength() + " " + scan.badReason()
                    + ", and more records follow it", null);
        }
        for (JournalFrames.Entry e : scan.entries()) {
            image.apply(StateFiles.decode(file, e.payload(), "the record at byte " + e.offset() + ": ", StateReader::batch));
        }
        if (scan.badReason() != null) {
            log.warn("state file {}: its last record, at byte {}, {}; it was never acknowledged (a write cut short by a "
                    + "crash) and is ignored, and cut off at the next write", file, scan.goodLength(), scan.badReason());
        }
        return scan.goodLength();
    }

    /** The generations of the journal files in {@code dir}, in ascending order. */
    private static List<Integer> journals(Path dir) {
        List<Integer> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "journal-*.log")) {
            for (Path f : files) {
                Matcher m = JOURNAL.matcher(f.getFileName().toString());
                if (m.matches()) {
                    out.add(Integer.parseInt(m.group(1)));
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new StateStoreException("cannot list state dir " + dir + ": " + e.getMessage(), e);
        }
        out.sort(null);
        return out;
    }

    /** The whole state in memory. */
    StateImage image() {
        return image;
    }

    /**
     * Applies a batch durably: compacts first when due (and on the first write over the legacy
     * layout), then appends the batch to the journal and fsyncs it.
     */
    void write(StateChanges changes) {
        if (failure != null) {
            throw new StateStoreException("state dir " + dir + " takes no more writes after an earlier failure ("
                    + failure + "); close and reopen the platform", null);
        }
        if (changes.isEmpty()) {
            return;
        }
        if (legacy || journal.length() > Math.max(minCompactBytes, snapshotBytes)) {
            compact();
        }
        byte[] payload = StateWriter.batch(changes);
        if (payload.length > JournalFrames.MAX_PAYLOAD) {
            throw new StateStoreException("a batch of " + changes.size() + " records is " + payload.length
                    + " bytes, more than a state file ever holds (" + JournalFrames.MAX_PAYLOAD + "); nothing was written", null);
        }
        try {
            journal.append(payload);
        } catch (Journal.JournalException e) {
            if (e.broken()) {
                failure = e.getMessage();
            }
            throw new StateStoreException(e.getMessage(), e);
        }
        image.apply(changes);
    }

    /**
     * Writes snapshot G+1 atomically, then switches to the (new, empty) journal G+1, then deletes
     * older journals and legacy files. A failure to write the snapshot stops writes: the rename
     * may have happened, and records appended to journal G after it would be lost on reload.
     */
    void compact() {
        int next = generation + 1;
        byte[] bytes = image.snapshot(next);
        Path snapshotFile = snapshotFile(dir);
        if (bytes.length > StateReader.MAX_FILE_BYTES) {
            throw new StateStoreException("the state is " + bytes.length + " bytes, more than " + snapshotFile
                    + " may hold (" + StateReader.MAX_FILE_BYTES + "); nothing was written", null);
        }
        try {
            AtomicFiles.write(snapshotFile, bytes);
        } catch (IOException e) {
            failure = "cannot write state file " + snapshotFile + ": " + e.getMessage();
            throw new StateStoreException(failure, e);
        }
        journal.close();
        journal = new Journal(journalFile(dir, next), 0);
        generation = next;
        snapshotBytes = bytes.length;
        legacy = false;
        log.debug("state dir {}: compacted into snapshot generation {} ({} bytes)", dir, next, bytes.length);
        try {
            for (int g : journals(dir)) {
                if (g < next) {
                    AtomicFiles.delete(journalFile(dir, g));
                }
            }
            if (LegacyState.present(dir)) {
                LegacyState.remove(dir);
                log.info("state dir {}: carried apps/ and instances.json into {}", dir, snapshotFile.getFileName());
            }
        } catch (IOException | StateStoreException e) {
            // Harmless: a load reads the snapshot and its own journal only. The next compaction tries again.
            log.warn("state dir {}: cannot delete files older than snapshot generation {}: {}", dir, next, e.getMessage());
        }
    }

    /** Closes the journal. */
    void close() {
        journal.close();
    }
}
