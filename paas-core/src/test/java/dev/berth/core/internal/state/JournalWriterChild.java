// Test support: the child JVM of the kill -9 test; writes numbered batches forever and prints "ack <n>" after each.
package dev.berth.core.internal.state;

import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.spi.StateChanges;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;

/**
 * Opens the store in {@code args[0]} (compacting past {@code args[1]} bytes), carries on from the
 * batch number its {@code counter} record holds, and writes batch n+1, n+2, ... printing
 * {@code ack <n>} once each {@code write} has returned. Killed by the test, never ends by itself.
 */
public final class JournalWriterChild {
    /** The id of the record whose restarts count is the number of the last batch applied. */
    static final String COUNTER = "counter";

    private JournalWriterChild() {
    }

    /** Batch {@code n}: random changes drawn from {@code n}, and the counter set to {@code n}. */
    static StateChanges batch(int n) {
        StateChanges random = Batches.random(new Random(n), 8);
        StateChanges.Builder b = StateChanges.builder();
        random.savedApps().forEach(b::saveApp);
        random.deletedApps().forEach(b::deleteApp);
        random.savedInstances().forEach(b::saveInstance);
        random.deletedInstances().forEach(b::deleteInstance);
        return b.saveInstance(new InstanceRecord(COUNTER, "a0", "r1", "local", InstanceState.RUNNING, null, null, n, null,
                null)).build();
    }

    /** The number of the last batch {@code store} holds, 0 for none. */
    static int last(FileStateStore store) {
        return store.loadInstances().stream().filter(r -> r.id().equals(COUNTER)).mapToInt(InstanceRecord::restarts)
                .findFirst().orElse(0);
    }

    /** Writes batches until killed. */
    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.US_ASCII);
        FileStateStore store = FileStateStore.open(Path.of(args[0]), Long.parseLong(args[1]));
        for (int n = last(store) + 1; ; n++) {
            store.write(batch(n));
            out.println("ack " + n);
            out.flush();
        }
    }
}
