// The platform's events numbered by a monotonically increasing index (kept across restarts) in a bounded buffer that streams read from.
package dev.berth.server;

import dev.berth.api.PlatformEvent;
import dev.berth.api.PlatformListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every {@link PlatformEvent} gets the next index. The last {@code capacity} events are kept for
 * streams that resume ({@link #after}); a stream asking for an index that left the buffer learns it
 * ({@link Page#gap}) instead of silently missing events. The index survives restarts when a file
 * is given: blocks of {@value #BLOCK} indexes are reserved in it ahead of use, so a restarted
 * server starts past every index it may have handed out, without a write per event.
 */
final class EventLog implements PlatformListener {
    /** Indexes reserved in the file at a time. */
    static final long BLOCK = 10_000;
    private final int capacity;
    private final Path indexFile;
    private final ArrayDeque<Indexed> buffer = new ArrayDeque<>();
    private long next;
    private long reserved;

    /** One event and its index, as the stream sends it. */
    record Indexed(long index, PlatformEvent event) {
    }

    /**
     * What a reader gets.
     *
     * @param events the events after the index asked for (at most the page size)
     * @param gap    whether events after that index had already left the buffer
     * @param last   the index of the newest event so far (0 before the first)
     */
    record Page(List<Indexed> events, boolean gap, long last) {
    }

    /** A log of at most {@code capacity} events; {@code indexFile} (or null) keeps the index across restarts. */
    EventLog(int capacity, Path indexFile) {
        this.capacity = capacity;
        this.indexFile = indexFile;
        long start = 1;
        if (indexFile != null && Files.exists(indexFile)) {
            try {
                start = Long.parseLong(Files.readString(indexFile, StandardCharsets.US_ASCII).strip()) + 1;
            } catch (IOException | NumberFormatException e) {
                throw new IllegalStateException("event index file " + indexFile + " is unreadable: " + e.getMessage()
                        + "; delete it to start the index again (clients then resync)", e);
            }
        }
        this.next = start;
        this.reserved = start - 1;
    }

    @Override
    public synchronized void onEvent(PlatformEvent event) {
        if (next > reserved) {
            reserve(next + BLOCK - 1);
        }
        buffer.addLast(new Indexed(next++, event));
        if (buffer.size() > capacity) {
            buffer.removeFirst();
        }
        notifyAll();
    }

    /**
     * The events after {@code index}, at most {@code max}, waiting up to {@code waitMillis} for one
     * when there is none yet.
     */
    synchronized Page after(long index, int max, long waitMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + waitMillis;
        while (index == next - 1) { // nothing after it yet
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                break;
            }
            wait(left);
        }
        long first = buffer.isEmpty() ? next : buffer.peekFirst().index();
        // events after it were dropped from the buffer, or it is an index this log never handed out
        boolean gap = index + 1 < first && index < next - 1 || index >= next;
        List<Indexed> out = new ArrayList<>();
        for (Indexed e : buffer) {
            if (e.index() > index) {
                out.add(e);
                if (out.size() == max) {
                    break;
                }
            }
        }
        return new Page(out, gap, next - 1);
    }

    /** The newest index handed out so far (0 before the first event). */
    synchronized long last() {
        return next - 1;
    }

    private void reserve(long upTo) {
        if (indexFile != null) {
            try {
                Path tmp = indexFile.resolveSibling(indexFile.getFileName() + ".tmp");
                Files.writeString(tmp, Long.toString(upTo), StandardCharsets.US_ASCII);
                Files.move(tmp, indexFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException("event index file " + indexFile + ": " + e.getMessage(), e);
            }
        }
        reserved = upTo;
    }

    /** An event as JSON: its index, its type, and its fields (times, durations and values as text). */
    static Map<String, Object> toJson(Indexed e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", e.index());
        m.put("type", e.event().getClass().getSimpleName());
        for (RecordComponent c : e.event().getClass().getRecordComponents()) {
            Object v;
            try {
                v = c.getAccessor().invoke(e.event());
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException("event field " + c.getName(), ex);
            }
            m.put(c.getName(), v == null || v instanceof Number || v instanceof Boolean ? v : v.toString());
        }
        return m;
    }

    /** The app an event is about, or null for a node's event. */
    static String app(PlatformEvent e) {
        for (RecordComponent c : e.getClass().getRecordComponents()) {
            if (c.getName().equals("app")) {
                try {
                    return (String) c.getAccessor().invoke(e);
                } catch (ReflectiveOperationException ex) {
                    throw new IllegalStateException("event field app", ex);
                }
            }
        }
        return null;
    }
}
