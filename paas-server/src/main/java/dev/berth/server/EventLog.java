// The platform's events numbered by a monotonically increasing index (kept across restarts) in a bounded buffer that streams read from.
package dev.berth.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.PlatformEvent;
import dev.berth.api.PlatformListener;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every {@link PlatformEvent} gets the next index. The last {@code capacity} events are kept for
 * streams that resume ({@link #after}); a stream asking for an index that left the buffer learns it
 * ({@link Page#gap}) instead of silently missing events. The index survives restarts when a store
 * is given ({@link EventIndexStore}: a file, or ZooKeeper for several controllers): blocks of
 * {@value #BLOCK} indexes are reserved in it ahead of use, so a restarted server starts past every
 * index it may have handed out, without a write per event.
 */
final class EventLog implements PlatformListener {
    /** Indexes reserved in the file at a time. */
    static final long BLOCK = 10_000;
    private final EventIndexStore indexStore;
    private final ObjectMapper json;
    /** The last events, event {@code i} at {@code i % ring.length}: a reader finds its place without a scan. */
    private final Indexed[] ring;
    /** The oldest index still in {@link #ring}, and the next one to hand out. */
    private long first;
    private long next;
    private long reserved;

    /**
     * One event and its index, with what every stream needs of it worked out once.
     *
     * @param app  the app it is about, or null for a node's event
     * @param type its type's simple name
     * @param json its JSON ({@link #toJson})
     */
    record Indexed(long index, PlatformEvent event, String app, String type, String json) {
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

    /** A log of at most {@code capacity} events; {@code indexStore} (or null) keeps the index across restarts. */
    EventLog(int capacity, EventIndexStore indexStore, ObjectMapper json) {
        this.ring = new Indexed[capacity];
        this.indexStore = indexStore;
        this.json = json;
        long start = indexStore == null ? 1 : indexStore.reserved() + 1;
        this.first = start;
        this.next = start;
        this.reserved = start - 1;
    }

    @Override
    public synchronized void onEvent(PlatformEvent event) {
        if (next > reserved) {
            reserve(next + BLOCK - 1);
        }
        long index = next++;
        Map<String, Object> fields = toJson(index, event);
        String text;
        try {
            text = json.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("event " + index + " as JSON", e);
        }
        ring[(int) (index % ring.length)] = new Indexed(index, event, (String) fields.get("app"), event.getClass().getSimpleName(),
                text);
        first = Math.max(first, next - ring.length);
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
        // events after it were dropped from the buffer, or it is an index this log never handed out
        boolean gap = index + 1 < first && index < next - 1 || index >= next;
        List<Indexed> out = new ArrayList<>();
        for (long i = Math.max(index + 1, first); i < next && out.size() < max; i++) {
            out.add(ring[(int) (i % ring.length)]);
        }
        return new Page(out, gap, next - 1);
    }

    /** The newest index handed out so far (0 before the first event). */
    synchronized long last() {
        return next - 1;
    }

    private void reserve(long upTo) {
        if (indexStore != null) {
            indexStore.reserve(upTo);
        }
        reserved = upTo;
    }

    /** An event as JSON fields: its index, its type, and its fields (times, durations and values as text). */
    private static Map<String, Object> toJson(long index, PlatformEvent event) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", index);
        m.put("type", event.getClass().getSimpleName());
        for (RecordComponent c : event.getClass().getRecordComponents()) {
            Object v;
            try {
                v = c.getAccessor().invoke(event);
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException("event field " + c.getName(), ex);
            }
            m.put(c.getName(), v == null || v instanceof Number || v instanceof Boolean ? v : v.toString());
        }
        return m;
    }
}
