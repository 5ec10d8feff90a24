// Where the API's event index is kept between servers: a file beside the state, or a store shared by controllers.
package dev.berth.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;

/**
 * Keeps the highest event index the API has reserved, so that a restarted server (or the next
 * leader of several controllers) hands out only indexes past every one a client may have seen, and
 * a resuming stream is never given an old index for a new event. Indexes are reserved in blocks,
 * so a store is written once per some thousands of events, not once per event.
 */
public interface EventIndexStore {

    /** The highest index reserved so far; 0 when none was. */
    long reserved();

    /** Records that every index up to {@code upTo} may have been handed out; throws when that cannot be recorded. */
    void reserve(long upTo);

    /** The index in {@code file}, replaced atomically at each reservation. */
    static EventIndexStore file(Path file) {
        Objects.requireNonNull(file, "file");
        return new EventIndexStore() {
            @Override
            public long reserved() {
                if (!Files.exists(file)) {
                    return 0;
                }
                try {
                    return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).strip());
                } catch (IOException | NumberFormatException e) {
                    throw new IllegalStateException("event index file " + file + " is unreadable: " + e.getMessage()
                            + "; delete it to start the index again (clients then resync)", e);
                }
            }

            @Override
            public void reserve(long upTo) {
                try {
                    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                    Files.writeString(tmp, Long.toString(upTo), StandardCharsets.US_ASCII);
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    throw new UncheckedIOException("event index file " + file + ": " + e.getMessage(), e);
                }
            }

            @Override
            public String toString() {
                return file.toString();
            }
        };
    }
}
