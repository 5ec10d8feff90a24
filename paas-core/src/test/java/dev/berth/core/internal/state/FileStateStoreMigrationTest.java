// Tests carrying a state dir of the earlier layout (apps/*.json, instances.json) into a snapshot, and snapshot errors.
package dev.berth.core.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.spi.AppRecord;
import dev.berth.api.InstanceRecord;
import dev.berth.api.StateStoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FileStateStoreMigrationTest {
    @TempDir
    Path dir;

    private final AppRecord other = Batches.app("other", 4);
    private final InstanceRecord web2 = Batches.instance("web-2", 9);

    private void writeLegacy() throws IOException {
        StateDirs.writeLegacy(dir, List.of(FileStateStoreTest.sampleApp(), other), List.of(FileStateStoreTest.sampleInstance()));
    }

    /** Every file under the dir but the lock, with its bytes. */
    private Map<String, String> files() throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                if (!p.getFileName().toString().equals("lock")) {
                    out.put(dir.relativize(p).toString(), Files.readString(p));
                }
            }
        }
        return out;
    }

    @Test
    void theEarlierLayoutLoadsAsItIsAndTheFirstWriteCarriesItIntoASnapshot() throws IOException {
        writeLegacy();
        Map<String, String> before = files();
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThat(store.loadApps()).containsOnlyKeys("web", "other").containsEntry("web", FileStateStoreTest.sampleApp())
                    .containsEntry("other", other);
            assertThat(store.loadInstances()).containsExactly(FileStateStoreTest.sampleInstance());
        }
        assertThat(files()).as("opening and loading migrate nothing").isEqualTo(before);

        try (FileStateStore store = FileStateStore.open(dir)) {
            store.saveInstance(web2);
        }
        assertThat(dir.resolve("apps")).doesNotExist();
        assertThat(dir.resolve("instances.json")).doesNotExist();
        assertThat(files()).containsOnlyKeys("snapshot.json", "journal-1.log");
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThat(store.loadApps()).containsOnlyKeys("web", "other").containsEntry("web", FileStateStoreTest.sampleApp());
            assertThat(store.loadInstances()).containsExactly(FileStateStoreTest.sampleInstance(), web2);
        }
    }

    @Test
    void aCrashBeforeTheEarlierFilesAreDeletedLoadsTheSnapshot() throws IOException {
        writeLegacy();
        try (FileStateStore store = FileStateStore.open(dir)) {
            store.saveInstance(web2);
            store.deleteApp("other");
        }
        writeLegacy(); // as if the migration stopped right after the snapshot's rename
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThat(store.loadApps()).containsOnlyKeys("web");
            assertThat(store.loadInstances()).containsExactly(FileStateStoreTest.sampleInstance(), web2);
            store.compact();
        }
        assertThat(dir.resolve("apps")).doesNotExist();
        assertThat(files()).containsOnlyKeys("snapshot.json");
    }

    @Test
    void aCorruptEarlierFileFailsTheFirstWriteAndChangesNothing() throws IOException {
        writeLegacy();
        Files.writeString(dir.resolve("apps/other.json"), "{\"format\": 1, \"name\": \"other\"");
        Map<String, String> before = files();
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThatThrownBy(() -> store.saveInstance(web2)).isInstanceOf(StateStoreException.class)
                    .hasMessageContaining("state file " + dir.resolve("apps/other.json") + " is corrupt");
        }
        assertThat(files()).isEqualTo(before);
    }

    @Test
    void theEarlierLayoutNextToAJournalWithoutSnapshotIsRefused() throws IOException {
        try (FileStateStore store = FileStateStore.open(dir)) {
            store.saveInstance(web2);
        }
        writeLegacy();
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThatThrownBy(store::loadApps).isInstanceOf(StateStoreException.class)
                    .hasMessageContaining("journal-0.log").hasMessageContaining("move one of them away");
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"release\":\"r2-abc\",\"node\" | \"release\":\"../../x\",\"node\" | field 'instances[0].release' is \"../../x\": must be",
            "\"fromRelease\":\"r1-abc\" | \"fromRelease\":\"a b\" | field 'apps[0].rollout.fromRelease' is \"a b\"",
            "\"generation\":1 | \"generation\":\"1\" | field 'generation' is \"1\": must be a whole number from 1",
            "\"format\":1 | \"format\":2 | field 'format' is 2",
            "\"id\":\"web-2\" | \"id\":\"web-1\" | field 'instances[1].id' is \"web-1\": each instance id may appear once",
            "\"restarts\":3 | \"restarts\":3.5 | field 'instances[0].restarts' is 3.5"})
    void aSnapshotIsReadAsStrictlyAsTheEarlierFiles(String from, String to, String error) throws IOException {
        try (FileStateStore store = FileStateStore.open(dir)) {
            store.saveApp(FileStateStoreTest.sampleApp());
            store.saveInstance(FileStateStoreTest.sampleInstance());
            store.saveInstance(web2);
            store.compact();
        }
        Path snapshot = StateDirs.snapshot(dir);
        String text = Files.readString(snapshot);
        assertThat(text).contains(from);
        Files.writeString(snapshot, text.replace(from, to));
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThatThrownBy(store::loadApps).isInstanceOf(StateStoreException.class)
                    .hasMessageStartingWith("state file " + snapshot + " is corrupt: " + error);
        }
    }
}
