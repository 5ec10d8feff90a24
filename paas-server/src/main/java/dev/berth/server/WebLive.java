// The web page's live parts: each page's fragments re-rendered and sent as named Server-Sent Events when the platform changes.
package dev.berth.server;

import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A live view: on connect, and after each burst of relevant platform events, the page's fragments
 * are rendered and each one that changed goes out as {@code event: NAME} with its HTML, which
 * htmx's SSE extension swaps into the element with {@code sse-swap="NAME"}. Bursts are coalesced
 * (one render per {@value #COALESCE_MILLIS} ms at most), so a rollout of a thousand instances
 * costs a few renders, not a thousand.
 */
final class WebLive {
    /** The least time between two renders of one view. */
    static final long COALESCE_MILLIS = 150;
    private final EventLog log;
    private final EventStream streams;

    WebLive(EventLog log, EventStream streams) {
        this.log = log;
        this.streams = streams;
    }

    /**
     * A stream of {@code render}'s fragments by event name, re-rendered after events that
     * {@code relevant} accepts.
     */
    EventStream.Streamer view(Supplier<Map<String, Html>> render, Predicate<EventLog.Indexed> relevant) {
        return view(render, relevant, false);
    }

    /**
     * The same; with {@code periodic}, also rendered at each heartbeat (for what changes without a
     * platform event, such as the hook queue's lanes), sending only what changed.
     */
    EventStream.Streamer view(Supplier<Map<String, Html>> render, Predicate<EventLog.Indexed> relevant, boolean periodic) {
        return (req, resp) -> {
            OutputStream out = Sse.open(resp);
            Map<String, String> sent = new HashMap<>();
            long index = log.last();
            long written = System.currentTimeMillis();
            try {
                send(out, render.get(), sent);
                while (!streams.closed()) {
                    long quiet = System.currentTimeMillis() - written; // wait only until the next heartbeat is due
                    EventLog.Page page = log.after(index, 1000, Math.max(1, streams.heartbeatMillis() - quiet));
                    boolean changed = page.gap() || page.events().stream().anyMatch(relevant);
                    index = page.events().isEmpty() ? page.last() : page.events().get(page.events().size() - 1).index();
                    if (changed) {
                        Thread.sleep(COALESCE_MILLIS); // let the rest of a burst arrive
                        index = Math.max(index, log.last());
                        send(out, render.get(), sent);
                        written = System.currentTimeMillis();
                    } else if (System.currentTimeMillis() - written >= streams.heartbeatMillis()) {
                        if (periodic) {
                            send(out, render.get(), sent);
                        }
                        Sse.write(out, ": heartbeat\n\n"); // a client that left ends the loop with an IOException
                        written = System.currentTimeMillis();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the server stops
            } catch (dev.berth.api.NotFoundException e) {
                // what the page follows is gone (an app removed): say so; the page closes its stream on it
                Sse.write(out, "event: gone\ndata: <p role=\"alert\" class=\"error\">"
                        + Html.escape(e.getMessage()) + "</p>\n\n");
            }
        };
    }

    private static void send(OutputStream out, Map<String, Html> fragments, Map<String, String> sent) throws IOException {
        StringBuilder b = new StringBuilder();
        fragments.forEach((name, html) -> {
            String text = html.toString();
            if (!text.equals(sent.put(name, text))) {
                b.append("event: ").append(name).append('\n');
                text.lines().forEach(l -> b.append("data: ").append(l).append('\n'));
                b.append('\n');
            }
        });
        if (!b.isEmpty()) {
            Sse.write(out, b);
        }
    }
}
