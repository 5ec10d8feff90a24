// Tests that every acknowledged batch survives kill -9 of the writing JVM at any moment, and nothing never begun appears.
package dev.berth.core.internal.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStateStoreKillTest {
    private static final int ROUNDS = 12;
    private static final long ROUND_MILLIS = 3000;
    /** Small, so that kills land in compactions too, not only in appends. */
    private static final long MIN_COMPACT_BYTES = 8 * 1024;

    @TempDir
    Path tmp;

    @Test
    void everyAcknowledgedBatchSurvivesKillNineAndNothingNeverBegunAppears() throws Exception {
        Path dir = tmp.resolve("state");
        Random random = new Random();
        long seed = random.nextLong();
        random.setSeed(seed);
        int lastAck = 0;
        int totalAcks = 0;
        for (int round = 0; round < ROUNDS; round++) {
            int target = round % 3 == 0 ? 1 + random.nextInt(3) : 1 + random.nextInt(200);
            Path err = tmp.resolve("child-" + round + ".err");
            Path out = tmp.resolve("child-" + round + ".out"); // a file, not a pipe: nothing written is lost at the kill
            Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-Xmx128m",
                    "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                    JournalWriterChild.class.getName(), dir.toString(), Long.toString(MIN_COMPACT_BYTES))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            int before = lastAck;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ROUND_MILLIS);
            while (acks(out).size() < target && System.nanoTime() < deadline && child.isAlive()) {
                Thread.sleep(2);
            }
            Thread.sleep(random.nextInt(5));
            assertThat(child.isAlive()).as("child of round %d is running (stderr: %s)", round, read(err)).isTrue();
            child.destroyForcibly(); // SIGKILL on Linux
            assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
            List<Integer> acks = acks(out);
            int seen = acks.size();
            if (seen > 0) {
                assertThat(acks).as("round %d: acks in order from batch %d", round, before + 1)
                        .startsWith(before + 1).endsWith(before + seen);
                lastAck = acks.get(seen - 1);
            }
            totalAcks += seen;

            try (FileStateStore store = FileStateStore.open(dir, MIN_COMPACT_BYTES)) {
                int last = JournalWriterChild.last(store);
                assertThat(last).as("round %d (seed %d): the child carried on from batch %d, %d of its acks were read, "
                        + "the last was of batch %d: only it or the one begun after may be the last", round, seed, before, seen,
                        lastAck).isBetween(lastAck, lastAck + 1);
                StateDirs.Model model = new StateDirs.Model();
                for (int n = 1; n <= last; n++) {
                    model.apply(JournalWriterChild.batch(n));
                }
                assertThat(store.loadApps()).as("round %d (seed %d): apps after batch %d", round, seed, last)
                        .isEqualTo(model.apps());
                assertThat(store.loadInstances()).as("round %d (seed %d): instances after batch %d", round, seed, last)
                        .isEqualTo(model.instances());
                lastAck = last; // the next child carries on from here
            }
        }
        assertThat(totalAcks).as("acks over all rounds").isGreaterThanOrEqualTo(ROUNDS);
    }

    /** The numbers of the whole "ack <n>" lines of {@code out}; a line the kill cut short is no acknowledgement. */
    private static List<Integer> acks(Path out) throws IOException {
        String text = Files.readString(out, StandardCharsets.US_ASCII);
        List<Integer> acks = new ArrayList<>();
        int from = 0;
        for (int nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
            String line = text.substring(from, nl);
            assertThat(line).as("a line of the child's output").matches("ack [0-9]+");
            acks.add(Integer.parseInt(line.substring(4)));
            from = nl + 1;
        }
        return acks;
    }

    private static String read(Path file) throws IOException {
        List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }
}
