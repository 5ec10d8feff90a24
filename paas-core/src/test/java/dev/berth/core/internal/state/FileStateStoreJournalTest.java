// Tests the journal layout: torn tails, corrupt records, compaction and the crash points between its steps.
package dev.berth.core.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.spi.StateChanges;
import dev.berth.api.StateStoreException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FileStateStoreJournalTest {
    @TempDir
    Path dir;
    private final StateDirs.Model model = new StateDirs.Model();
    private final Random random = new Random(7);

    /** Writes {@code n} random batches through a fresh store, and into the model. */
    private void writeBatches(int n) {
        try (FileStateStore store = FileStateStore.open(dir)) {
            for (int i = 0; i < n; i++) {
                StateChanges c = Batches.random(random, 6);
                store.write(c);
                model.apply(c);
            }
        }
    }

    private void assertLoadsModel() {
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThat(store.loadApps()).isEqualTo(model.apps());
            assertThat(store.loadInstances()).isEqualTo(model.instances());
        }
    }

    /** Writes {@code bytes} right after the journal's records, into its preallocated zeros, as a write cut short would leave them. */
    private static void append(Path file, byte[] bytes) throws IOException {
        long end = StateDirs.records(file).length;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                end += ch.write(buf, end);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 12, 40, -1}) // bytes of the last frame written; -1: all but its newline
    void aTornLastRecordWasNeverAcknowledgedAndIsCutOffAtTheNextWrite(int kept) throws IOException {
        writeBatches(3);
        Path journal = StateDirs.journal(dir, 0);
        byte[] good = StateDirs.records(journal);
        byte[] torn = StateDirs.frame(StateDirs.payload(Batches.random(random, 6)));
        append(journal, Arrays.copyOf(torn, kept < 0 ? torn.length - 1 : kept));
        byte[] withTail = Files.readAllBytes(journal);

        assertLoadsModel();
        assertThat(Files.readAllBytes(journal)).as("a load changes nothing").isEqualTo(withTail);

        StateChanges next = Batches.random(random, 6);
        try (FileStateStore store = FileStateStore.open(dir)) {
            store.write(next);
        }
        model.apply(next);
        assertLoadsModel();
        byte[] expected = concat(good, StateDirs.frame(StateDirs.payload(next)));
        assertThat(StateDirs.records(journal)).as("the tail cut off, the new record right after the good ones")
                .isEqualTo(expected);
    }

    @Test
    void recordsAreWrittenIntoPreallocatedZerosWhichReadAsTheCleanEnd() throws IOException {
        writeBatches(3);
        Path journal = StateDirs.journal(dir, 0);
        byte[] records = StateDirs.records(journal);
        assertThat(Files.size(journal)).as("a chunk preallocated ahead").isEqualTo(1 << 20);
        assertLoadsModel();
        assertThat(Files.readAllBytes(journal)).as("a load cuts nothing off").hasSize(1 << 20).startsWith(records);

        StateChanges next = Batches.random(random, 6);
        try (FileStateStore store = FileStateStore.open(dir)) {
            store.write(next);
        }
        model.apply(next);
        assertLoadsModel();
        assertThat(StateDirs.records(journal)).isEqualTo(concat(records, StateDirs.frame(StateDirs.payload(next))));
        assertThat(Files.size(journal)).as("written into the space it had").isEqualTo(1 << 20);
    }

    @Test
    void aChecksumFailingLastRecordIsCutOff() throws IOException {
        writeBatches(3);
        Path journal = StateDirs.journal(dir, 0);
        byte[] last = StateDirs.frame(StateDirs.payload(Batches.random(random, 6)));
        last[last.length - 3] ^= 0x01; // in the payload: the frame is whole, its checksum fails
        append(journal, last);
        assertLoadsModel();
    }

    @Test
    void aBadRecordFollowedByGoodOnesIsCorruptionNamingFileAndOffset() throws IOException {
        writeBatches(3);
        Path journal = StateDirs.journal(dir, 0);
        byte[] bytes = Files.readAllBytes(journal);
        int second = indexOf(bytes, (byte) '\n', 0) + 1;
        bytes[second + 20] ^= 0x01;
        Files.write(journal, bytes);
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThatThrownBy(store::loadInstances).isInstanceOf(StateStoreException.class)
                    .hasMessageStartingWith("state file " + journal + " is corrupt: the record at byte " + second + " ")
                    .hasMessageContaining("and more records follow it");
            assertThatThrownBy(store::loadApps).isInstanceOf(StateStoreException.class);
            assertThatThrownBy(() -> store.write(Batches.random(random, 3))).isInstanceOf(StateStoreException.class)
                    .hasMessageContaining(journal.toString());
        }
        assertThat(Files.readAllBytes(journal)).as("nothing cut off or appended").isEqualTo(bytes);

        byte[] garbled = Files.readAllBytes(journal);
        garbled[0] = 'x';
        Files.write(journal, garbled);
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThatThrownBy(store::loadApps).isInstanceOf(StateStoreException.class)
                    .hasMessageContaining("the record at byte 0 has no valid length");
        }
    }

    @Test
    void aWellFramedRecordWithAnUnsafeIdNamesFileOffsetFieldAndValue() throws IOException {
        writeBatches(2);
        Path journal = StateDirs.journal(dir, 0);
        long offset = StateDirs.records(journal).length;
        String payload = new String(StateDirs.payload(StateChanges.builder()
                .saveInstance(Batches.instance("i1", 7)).build()), StandardCharsets.UTF_8).replace("\"r7\"", "\"../../x\"");
        append(journal, StateDirs.frame(payload.getBytes(StandardCharsets.UTF_8)));
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThatThrownBy(store::loadInstances).isInstanceOf(StateStoreException.class).hasMessage("state file "
                    + journal + " is corrupt: the record at byte " + offset + ": field 'savedInstances[0].release' is "
                    + "\"../../x\": must be a release id: 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit. "
                    + "Berth does not start from an empty state over it: repair the file or move it away.");
        }
    }

    @Test
    void compactionKeepsEverythingAndBoundsTheJournal() throws IOException {
        long min = 4096;
        try (FileStateStore store = FileStateStore.open(dir, min)) {
            for (int i = 0; i < 400; i++) {
                StateChanges c = Batches.random(random, 6);
                store.write(c);
                model.apply(c);
                List<Path> journals = journals();
                assertThat(journals).hasSize(1);
                long snapshot = Files.exists(StateDirs.snapshot(dir)) ? Files.size(StateDirs.snapshot(dir)) : 0;
                long lastFrame = StateDirs.frame(StateDirs.payload(c)).length;
                assertThat((long) StateDirs.records(journals.get(0)).length).isLessThanOrEqualTo(Math.max(min, snapshot) + lastFrame);
            }
        }
        assertThat(journals().get(0).getFileName().toString()).isNotEqualTo("journal-0.log"); // it did compact
        assertLoadsModel();
    }

    @Test
    void aWriteCostsItsBatchNotTheState() throws IOException {
        try (FileStateStore store = FileStateStore.open(dir)) {
            StateChanges.Builder all = StateChanges.builder();
            for (int i = 0; i < 5000; i++) {
                all.saveInstance(Batches.instance("web-" + i, i));
            }
            store.write(all.build());
            StateDirs.compact(store);
            byte[] snapshot = Files.readAllBytes(StateDirs.snapshot(dir));
            Path journal = StateDirs.journal(dir, 1);
            long expected = 0;
            for (int i = 0; i < 200; i++) {
                StateChanges one = StateChanges.builder().saveInstance(Batches.instance("web-" + i, i + 1)).build();
                store.write(one);
                expected += StateDirs.frame(StateDirs.payload(one)).length;
                assertThat((long) StateDirs.records(journal).length).as("the journal's records grow by each record's frame only")
                        .isEqualTo(expected);
            }
            assertThat(Files.readAllBytes(StateDirs.snapshot(dir))).as("no whole-state rewrite").isEqualTo(snapshot);
            assertThat(expected).isLessThan(snapshot.length / 4);
        }
    }

    @Test
    void everyCrashPointOfACompactionLoadsTheSameState() throws IOException {
        writeBatches(5);
        Path journal0 = StateDirs.journal(dir, 0);
        byte[] journal0Bytes = Files.readAllBytes(journal0);
        // Crash while writing the snapshot: a torn temporary file next to the untouched snapshot and journal.
        Files.writeString(dir.resolve(".snapshot.json.tmp"), "{\"format\": 1, \"generation\": 1, \"apps\": [");
        assertLoadsModel();

        try (FileStateStore store = FileStateStore.open(dir)) {
            StateDirs.compact(store);
        }
        assertThat(journal0).doesNotExist();
        assertThat(dir.resolve(".snapshot.json.tmp")).doesNotExist();
        assertLoadsModel(); // snapshot 1, no journal 1 yet

        Files.write(journal0, journal0Bytes); // crash after the rename, before journal 0 was deleted
        assertLoadsModel();

        StateChanges after = Batches.random(random, 6);
        try (FileStateStore store = FileStateStore.open(dir)) {
            store.write(after); // journal 1 next to the leftover journal 0
        }
        model.apply(after);
        assertLoadsModel();

        try (FileStateStore store = FileStateStore.open(dir)) {
            StateDirs.compact(store);
        }
        assertThat(journals()).as("the next compaction deletes every older journal").isEmpty();
        assertLoadsModel();
    }

    @Test
    void aJournalNewerThanItsSnapshotIsCorruptionNotAFreshStart() throws IOException {
        writeBatches(2);
        try (FileStateStore store = FileStateStore.open(dir)) {
            StateDirs.compact(store);
            store.write(Batches.random(random, 3));
        }
        Files.delete(StateDirs.snapshot(dir));
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThatThrownBy(store::loadApps).isInstanceOf(StateStoreException.class)
                    .hasMessageContaining(StateDirs.journal(dir, 1).toString()).hasMessageContaining("snapshot.json is missing");
        }
    }

    private List<Path> journals() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return new ArrayList<>(files.filter(p -> p.getFileName().toString().startsWith("journal-")).toList());
        }
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
