// GET /v1/events: the platform's events as Server-Sent Events that resume from Last-Event-ID, with a resync event for any gap.
package dev.berth.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The event stream. Each event goes out as {@code id: INDEX} and {@code data: JSON} (its JSON made
 * once, by {@link EventLog}); a client that reconnects with {@code Last-Event-ID} (or {@code ?index=N})
 * gets every event after it. When some of those already left the buffer, an {@code event: resync}
 * comes first, saying so: re-read the state, then go on. {@code ?app=} and {@code ?type=} filter;
 * a token limited to apps sees only theirs (and the nodes'). A comment line every
 * {@code heartbeatMillis} keeps idle streams open through proxies.
 */
final class EventStream {
    /** The events written per round at most. */
    private static final int PAGE = 500;
    private final EventLog log;
    private final ObjectMapper json;
    private final long heartbeatMillis;
    private volatile boolean closed;

    EventStream(EventLog log, ObjectMapper json, long heartbeatMillis) {
        this.log = log;
        this.json = json;
        this.heartbeatMillis = heartbeatMillis;
    }

    Route route() {
        return Route.of("GET", "/v1/events", Scope.READ, this::open);
    }

    long heartbeatMillis() {
        return heartbeatMillis;
    }

    /** Ends every stream within a heartbeat. */
    void close() {
        closed = true;
    }

    /** Whether {@link #close()} was called. */
    boolean closed() {
        return closed;
    }

    private Object open(Call c) {
        String resume = c.header("Last-Event-ID");
        if (resume == null) {
            resume = c.query().get("index");
        }
        long from;
        if (resume == null || resume.isBlank()) {
            from = log.last(); // from now on
        } else {
            try {
                from = Long.parseLong(resume.strip());
            } catch (NumberFormatException e) {
                throw new ApiException(400, "the index to resume from must be a number", "Last-Event-ID", resume,
                        "an event's id");
            }
        }
        String app = c.query().get("app");
        String type = c.query().get("type");
        String followed = c.query().getOrDefault("follow", "true");
        if (!followed.equals("true") && !followed.equals("false")) {
            throw new ApiException(400, "follow must be true or false", "follow", followed, "true (the default) or false");
        }
        long start = from;
        boolean follow = followed.equals("true");
        return (Streamer) (req, resp) -> stream(resp, start, app, type, follow, c.grant());
    }

    private void stream(HttpServletResponse resp, long from, String app, String type, boolean follow, Tokens.Grant grant)
            throws IOException {
        OutputStream out = Sse.open(resp);
        Sse.write(out, ": berth events after " + from + "\n\n");
        long index = from;
        while (!closed) {
            EventLog.Page page;
            try {
                page = log.after(index, PAGE, follow ? heartbeatMillis : 0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            StringBuilder b = new StringBuilder();
            if (page.gap()) {
                long resumed = page.events().isEmpty() ? page.last() : page.events().get(0).index() - 1;
                b.append("event: resync\nid: ").append(resumed).append("\ndata: ").append(json.writeValueAsString(Views.fields(
                        "after", index, "resumedAfter", resumed, "reason", "events after " + index
                                + " are no longer kept (or were never handed out); re-read the state, then go on")))
                        .append("\n\n");
                index = resumed;
            }
            for (EventLog.Indexed e : page.events()) {
                index = e.index();
                if ((app != null && !app.equals(e.app())) || (type != null && !type.equals(e.type()))
                        || (e.app() != null && !grant.covers(e.app()))) {
                    continue;
                }
                b.append("id: ").append(e.index()).append("\ndata: ").append(e.json()).append("\n\n");
            }
            if (b.isEmpty() && follow) {
                b.append(": heartbeat\n\n");
            }
            Sse.write(out, b); // a client that left ends the loop with an IOException
            if (!follow && page.events().size() < PAGE) {
                return; // caught up: a stream that does not follow ends here
            }
        }
    }

    /** An answer that takes the exchange over (a stream of events or lines, a WebSocket upgrade) instead of being JSON. */
    @FunctionalInterface
    interface Streamer {
        void stream(jakarta.servlet.http.HttpServletRequest req, HttpServletResponse resp) throws IOException;
    }
}
