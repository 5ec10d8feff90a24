// Owns reading a state file whole and turning any decoding failure into the "corrupt state file" error.
package dev.berth.core.internal.state;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.api.BerthException;
import dev.berth.api.StateStoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.util.function.Function;

/**
 * Reads state files and reports them as corrupt with their path, the field and the value, never
 * as empty. Stateless and thread-safe.
 */
final class StateFiles {
    private StateFiles() {
    }

    /** Parses {@code file} and decodes it with {@code decoder}. */
    static <T> T decode(Path file, Function<JsonNode, T> decoder) {
        return decode(file, read(file, StateReader.MAX_FILE_BYTES), "", decoder);
    }

    /**
     * Parses {@code bytes} read from {@code file} and decodes them; {@code where} (empty, or
     * "the record at byte N: ") says which part of the file they are.
     */
    static <T> T decode(Path file, byte[] bytes, String where, Function<JsonNode, T> decoder) {
        try {
            return decoder.apply(StateReader.parse(bytes));
        } catch (Fields.Bad e) {
            throw corrupt(file, where + e.getMessage(), null);
        } catch (BerthException | IllegalArgumentException | DateTimeException e) {
            throw corrupt(file, where + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw corrupt(file, where + "it cannot be decoded (" + e + ")", e); // never an unexplained error
        }
    }

    /** The bytes of {@code file}, refused when larger than {@code limit}. */
    static byte[] read(Path file, long limit) {
        try {
            long size = Files.size(file);
            if (size > limit) {
                throw corrupt(file, "it is " + size + " bytes, more than a state file ever holds (" + limit + ")", null);
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new StateStoreException("cannot read state file " + file + ": " + e, e);
        }
    }

    /** The error for a state file that cannot be used as it is. */
    static StateStoreException corrupt(Path file, String why, Throwable cause) {
        return new StateStoreException("state file " + file + " is corrupt: " + why
                + ". Berth does not start from an empty state over it: repair the file or move it away.", cause);
    }
}
