// The JSON form of the platform's state records, for StateStore implementations that keep one record per key (ZooKeeper, etcd).
package dev.berth.core;

import dev.berth.api.InstanceRecord;
import dev.berth.core.internal.state.RecordCodec;
import dev.berth.spi.AppRecord;

/**
 * One app or instance record as compact JSON, the same fields the default file store writes, and
 * back. Decoding checks every field as the file store does and throws
 * {@link dev.berth.api.StateStoreException} naming {@code where} for bad bytes. Stateless.
 */
public final class StateRecords {
    private StateRecords() {
    }

    /** The app record as JSON bytes. */
    public static byte[] encode(AppRecord app) {
        return RecordCodec.app(app);
    }

    /** The instance record as JSON bytes. */
    public static byte[] encode(InstanceRecord instance) {
        return RecordCodec.instance(instance);
    }

    /** The app record of {@code bytes} (read from {@code where}). */
    public static AppRecord app(byte[] bytes, String where) {
        return RecordCodec.app(bytes, where);
    }

    /** The instance record of {@code bytes} (read from {@code where}). */
    public static InstanceRecord instance(byte[] bytes, String where) {
        return RecordCodec.instance(bytes, where);
    }
}
