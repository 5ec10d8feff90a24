// The JSON of one app or instance record for state stores outside this package (dev.berth.core.StateRecords is its face).
package dev.berth.core.internal.state;

import dev.berth.api.InstanceRecord;
import dev.berth.api.StateStoreException;
import dev.berth.spi.AppRecord;
import java.time.DateTimeException;
import java.util.function.Function;

/** Encodes and decodes single records as the file store does; internal: use {@code dev.berth.core.StateRecords}. */
public final class RecordCodec {
    private RecordCodec() {
    }

    /** An app record as compact JSON. */
    public static byte[] app(AppRecord app) {
        return StateWriter.bytes(StateWriter.app(app));
    }

    /** An instance record as compact JSON. */
    public static byte[] instance(InstanceRecord r) {
        return StateWriter.bytes(StateWriter.instance(r));
    }

    /** The app record in {@code bytes}; {@code where} names them in the error. */
    public static AppRecord app(byte[] bytes, String where) {
        return decode(bytes, where, StateReader::appRecord);
    }

    /** The instance record in {@code bytes}; {@code where} names them in the error. */
    public static InstanceRecord instance(byte[] bytes, String where) {
        return decode(bytes, where, StateReader::instance);
    }

    private static <T> T decode(byte[] bytes, String where, Function<com.fasterxml.jackson.databind.JsonNode, T> decoder) {
        try {
            return decoder.apply(StateReader.parse(bytes));
        } catch (Fields.Bad | dev.berth.api.BerthException | IllegalArgumentException | DateTimeException e) {
            throw new StateStoreException(where + " is not a valid record: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new StateStoreException(where + " cannot be decoded (" + e + ")", e);
        }
    }
}
