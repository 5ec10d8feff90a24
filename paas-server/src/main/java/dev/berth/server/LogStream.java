// GET /v1/instances/{id}/logs?follow=true: an instance's last lines, then every new one, as Server-Sent Events.
package dev.berth.server;

import dev.berth.api.Instance;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A followed instance log: its last {@code lines} lines, then each new line as it is written (the
 * backend's follow, which goes on across the instance's respawns), one {@code data:} event per line,
 * with a comment line every heartbeat so that a client that left is noticed and the follow ends.
 * Lines are queued up to {@value #QUEUE} when the client reads slower than the app writes; past
 * that they are dropped and a {@code event: dropped} says how many.
 */
final class LogStream {
    /** The event id that marks the last lines as sent. */
    static final String REPLAYED = "replayed";
    /** Lines held for a slow client at most. */
    static final int QUEUE = 10_000;

    private LogStream() {
    }

    static EventStream.Streamer of(Instance instance, int lines, long heartbeatMillis) {
        return of(instance, lines, heartbeatMillis, l -> l.replace("\r", ""), false); // a line holds no \n
    }

    /**
     * The same, each line sent as {@code format} makes it (one line of text). With
     * {@code markReplay}, the last lines carry the event id {@value #REPLAYED}: a browser's
     * EventSource that reconnects sends it back, and gets only new lines, not the last ones again.
     */
    static EventStream.Streamer of(Instance instance, int lines, long heartbeatMillis, UnaryOperator<String> format,
                                   boolean markReplay) {
        List<String> last = instance.logs(lines);
        return (req, resp) -> {
            OutputStream out = Sse.open(resp);
            StringBuilder b = new StringBuilder(": logs of " + instance.id() + "\n\n");
            if (!markReplay) {
                last.forEach(l -> line(b, format.apply(l)));
            } else if (!REPLAYED.equals(req.getHeader("Last-Event-ID"))) {
                b.append("id: ").append(REPLAYED).append("\n\n");
                last.forEach(l -> line(b, format.apply(l)));
            }
            Sse.write(out, b);
            BlockingQueue<String> queue = new LinkedBlockingQueue<>(QUEUE);
            long[] dropped = new long[1];
            try (AutoCloseable follow = instance.follow(l -> {
                if (!queue.offer(format.apply(l))) { // every line formatted (escaped, for the web page) before it is queued
                    synchronized (dropped) {
                        dropped[0]++;
                    }
                }
            })) {
                pump(out, queue, dropped, heartbeatMillis);
            } catch (IOException e) {
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the server stops
            } catch (Exception e) {
                throw new IOException("following " + instance.id() + ": " + e.getMessage(), e);
            }
        };
    }

    private static void pump(OutputStream out, BlockingQueue<String> queue, long[] dropped, long heartbeatMillis)
            throws IOException, InterruptedException {
        while (true) {
            String first = queue.poll(heartbeatMillis, TimeUnit.MILLISECONDS);
            StringBuilder b = new StringBuilder();
            long lost;
            synchronized (dropped) {
                lost = dropped[0];
                dropped[0] = 0;
            }
            if (lost > 0) {
                b.append("event: dropped\ndata: ").append(lost).append(" line(s) dropped: the client read too slowly\n\n");
            }
            if (first == null) {
                b.append(": heartbeat\n\n");
            } else {
                line(b, first);
                for (String l = queue.poll(); l != null && b.length() < 1 << 16; l = queue.poll()) {
                    line(b, l);
                }
            }
            Sse.write(out, b); // a client that left ends the follow with an IOException
        }
    }

    private static void line(StringBuilder b, String line) {
        b.append("data: ").append(line).append("\n\n");
    }
}
