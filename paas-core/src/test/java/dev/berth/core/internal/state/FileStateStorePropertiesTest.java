// Property: any sequence of batches, compactions and reopenings loads what a plain map model holds.
package dev.berth.core.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.berth.spi.StateChanges;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStateStorePropertiesTest {
    private static final int EXAMPLES = 60;

    @TempDir
    Path tmp;
    private int run;

    /**
     * Each number is one step: 0 compacts, 1 reopens the store, anything else writes the batch
     * that {@code new Random(n)} draws. The journal compacts on its own too (past 2 KiB).
     */
    @Test
    void batchesCompactionsAndReopeningsLoadWhatTheModelHolds() {
        qt().withExamples(EXAMPLES).forAll(lists().of(integers().between(0, 100_000)).ofSizeBetween(1, 60))
                .checkAssert(this::check);
    }

    private void check(List<Integer> steps) {
        Path dir = tmp.resolve("run-" + run++);
        StateDirs.Model model = new StateDirs.Model();
        FileStateStore store = FileStateStore.open(dir, 2048);
        try {
            for (int step : steps) {
                if (step % 10 == 0) {
                    store.compact();
                } else if (step % 10 == 1) {
                    store.close();
                    store = FileStateStore.open(dir, 2048);
                    assertEqualsModel(store, model);
                } else {
                    StateChanges c = Batches.random(new Random(step), 8);
                    store.write(c);
                    model.apply(c);
                }
                assertEqualsModel(store, model);
            }
        } finally {
            store.close();
        }
        try (FileStateStore reopened = FileStateStore.open(dir, 2048)) {
            assertEqualsModel(reopened, model);
        }
        delete(dir);
    }

    private static void assertEqualsModel(FileStateStore store, StateDirs.Model model) {
        assertThat(store.loadApps()).isEqualTo(model.apps());
        assertThat(store.loadInstances()).isEqualTo(model.instances());
    }

    private static void delete(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot clean " + dir, e);
        }
    }
}
