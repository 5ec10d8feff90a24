// What the API's Server-Sent Event streams share: the response's headers and a flushed write.
package dev.berth.server;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Opens a response as a Server-Sent Event stream and writes to it; a write to a client that left throws. */
final class Sse {
    private Sse() {
    }

    /** Sets the status and headers of an event stream; returns where its events go. */
    static OutputStream open(HttpServletResponse resp) throws IOException {
        resp.setStatus(200);
        resp.setContentType("text/event-stream");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Accel-Buffering", "no"); // nginx in front must not hold events back
        return resp.getOutputStream();
    }

    /** Writes {@code text} and flushes it to the client. */
    static void write(OutputStream out, CharSequence text) throws IOException {
        out.write(text.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
