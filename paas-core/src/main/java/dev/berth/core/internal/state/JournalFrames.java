// Owns the framing of journal records (length, CRC32, payload, newline) and finding where a journal's good records end.
package dev.berth.core.internal.state;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A journal record is one line: {@code <payload length> <CRC32 of the payload, 8 hex digits>
 * <payload>\n}, the payload being compact JSON (which holds no raw newline). Zero bytes from a
 * record's end to the file's end are space the journal preallocated for records not written yet
 * ({@link Journal}), so they end the records cleanly. A scan reads the
 * records in order and stops at the first that is not whole and intact: when nothing but that
 * record follows (no newline before the file's last byte) it is the torn tail of a write that
 * was never acknowledged (every acknowledged record was fsynced before the next began); when more
 * follows, the journal is corrupt. Stateless and thread-safe.
 */
final class JournalFrames {
    /** The largest payload a record may declare. */
    static final long MAX_PAYLOAD = StateReader.MAX_FILE_BYTES;
    private static final int MAX_LENGTH_DIGITS = 10;

    /** A good record's payload and the byte offset of its frame in the journal. */
    record Entry(long offset, byte[] payload) {
    }

    /**
     * What a scan found: the good records, where they end, and why the rest (if any) is bad.
     *
     * @param entries    the good records, in order
     * @param goodLength the byte length of the good records; the journal's length when all are good
     * @param badReason  null when every byte is part of a good record; otherwise what is wrong at {@code goodLength}
     * @param tornTail   whether the bad bytes are one last record only (never acknowledged), not corruption
     */
    record Scan(List<Entry> entries, long goodLength, String badReason, boolean tornTail) {
    }

    private JournalFrames() {
    }

    /** The frame of {@code payload}. */
    static byte[] frame(byte[] payload) {
        byte[] header = (payload.length + " " + String.format("%08x", crc(payload, 0, payload.length)) + " ")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[header.length + payload.length + 1];
        System.arraycopy(header, 0, out, 0, header.length);
        System.arraycopy(payload, 0, out, header.length, payload.length);
        out[out.length - 1] = '\n';
        return out;
    }

    /** Reads the records of {@code bytes} up to the first bad one. */
    static Scan scan(byte[] bytes) {
        List<Entry> entries = new ArrayList<>();
        int pos = 0;
        while (pos < bytes.length && !zeroFrom(bytes, pos)) {
            Read read = readAt(bytes, pos);
            if (read.problem() != null) {
                return new Scan(entries, pos, read.problem(), onlyOneRecordLeft(bytes, pos));
            }
            entries.add(new Entry(pos, read.payload()));
            pos = read.next();
        }
        return new Scan(entries, pos, null, false);
    }

    /** Whether every byte from {@code pos} on is zero: preallocated space, no record. */
    static boolean zeroFrom(byte[] bytes, int pos) {
        for (int i = pos; i < bytes.length; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether no newline ends a line before the last byte that is not a preallocated zero, from
     * {@code pos} on: so no record can follow.
     */
    private static boolean onlyOneRecordLeft(byte[] bytes, int pos) {
        int end = bytes.length;
        while (end > pos && bytes[end - 1] == 0) {
            end--;
        }
        for (int i = pos; i < end - 1; i++) {
            if (bytes[i] == '\n') {
                return false;
            }
        }
        return true;
    }

    /** A record read at some offset: its payload and where the next begins, or what is wrong with it. */
    private record Read(byte[] payload, int next, String problem) {
        static Read bad(String problem) {
            return new Read(null, -1, problem);
        }
    }

    /** The record at {@code pos}. */
    private static Read readAt(byte[] bytes, int pos) {
        int i = pos;
        long length = 0;
        while (i < bytes.length && bytes[i] >= '0' && bytes[i] <= '9' && i - pos < MAX_LENGTH_DIGITS) {
            length = length * 10 + (bytes[i] - '0');
            i++;
        }
        if (i == pos || i >= bytes.length || bytes[i] != ' ' || length > MAX_PAYLOAD) {
            return Read.bad("has no valid length (a decimal number of at most " + MAX_PAYLOAD + " and a space)");
        }
        i++;
        if (i + 9 > bytes.length || bytes[i + 8] != ' ') {
            return Read.bad("has no valid checksum (8 hex digits and a space)");
        }
        long recorded = 0;
        for (int k = i; k < i + 8; k++) {
            int digit = Character.digit(bytes[k], 16);
            if (digit < 0 || bytes[k] >= 'A' && bytes[k] <= 'F') {
                return Read.bad("has no valid checksum (8 hex digits and a space)");
            }
            recorded = recorded * 16 + digit;
        }
        int start = i + 9;
        if (bytes.length - start < length + 1) {
            return Read.bad("is cut short: it declares " + length + " payload bytes and a newline, "
                    + (bytes.length - start) + " bytes are left");
        }
        int end = start + (int) length;
        if (bytes[end] != '\n') {
            return Read.bad("does not end in a newline after its " + length + " payload bytes");
        }
        long actual = crc(bytes, start, (int) length);
        if (actual != recorded) {
            return Read.bad("fails its checksum (CRC32 " + String.format("%08x", actual) + ", recorded "
                    + String.format("%08x", recorded) + ")");
        }
        byte[] payload = new byte[(int) length];
        System.arraycopy(bytes, start, payload, 0, (int) length);
        return new Read(payload, end + 1, null);
    }

    private static long crc(byte[] bytes, int from, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, from, length);
        return crc.getValue();
    }
}
