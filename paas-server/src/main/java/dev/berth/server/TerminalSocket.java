// GET /v1/instances/{id}/shell as a WebSocket: keystrokes and resizes in, the terminal's screen out, the exit code last.
package dev.berth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.spi.Terminal;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.ee10.websocket.server.JettyWebSocketServerContainer;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One terminal over one WebSocket. The protocol ({@code docs/api.md}): binary frames from the
 * client are keystrokes (Ctrl-C is byte 3); a text frame {@code {"resize": {"cols": C, "rows": R}}}
 * sets the window size; binary frames from the server are what the terminal shows; when the
 * program exits, a text frame {@code {"exit": N}} and a normal close follow. A client that goes
 * away hangs the terminal up (the program gets SIGHUP). Frames are sent one at a time, from the
 * pump thread only. Public only because Jetty invokes its listener methods through method handles;
 * not part of Berth's API.
 */
public final class TerminalSocket implements Session.Listener.AutoDemanding {
    private static final Logger LOG = LoggerFactory.getLogger(TerminalSocket.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SEND_TIMEOUT_SECONDS = 30;

    private final Terminal terminal;
    private final String what;
    private volatile Session session;

    TerminalSocket(Terminal terminal, String what) {
        this.terminal = terminal;
        this.what = what;
    }

    /** Upgrades a {@code GET /v1/instances/{id}/shell} to a socket over {@code terminal}; a request that is no WebSocket gets 400. */
    static EventStream.Streamer upgrade(Terminal terminal, String what) {
        return (req, resp) -> {
            boolean upgraded;
            try {
                upgraded = JettyWebSocketServerContainer.getContainer(req.getServletContext())
                        .upgrade((upgradeReq, upgradeResp) -> new TerminalSocket(terminal, what), req, resp);
            } catch (IOException | RuntimeException e) {
                terminal.close();
                throw e;
            }
            if (!upgraded) {
                terminal.close();
                resp.setStatus(400);
                resp.setContentType("application/json");
                resp.getOutputStream().write(("{\"error\":\"this resource is a WebSocket: connect with Upgrade: websocket "
                        + "(berth shell does)\"}\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        };
    }

    @Override
    public void onWebSocketOpen(Session s) {
        this.session = s;
        Thread pump = new Thread(this::pump, "berth-terminal-" + what);
        pump.setDaemon(true);
        pump.start();
    }

    /** Screen to client until the program ends, then its exit code and a normal close. */
    private void pump() {
        byte[] buf = new byte[8192];
        try (InputStream screen = terminal.output()) {
            for (int n; (n = screen.read(buf)) > 0; ) {
                ByteBuffer frame = ByteBuffer.wrap(Arrays.copyOf(buf, n));
                send((s, sent) -> s.sendBinary(frame, sent));
            }
            int code = terminal.waitFor();
            String exit = JSON.writeValueAsString(java.util.Map.of("exit", code));
            send((s, sent) -> s.sendText(exit, sent));
            session.close(1000, "exited with " + code, Callback.NOOP);
            LOG.info("control API: terminal of {} ended with exit code {}", what, code);
        } catch (IOException | ExecutionException | TimeoutException e) {
            LOG.debug("control API: terminal of {}: {}", what, e.toString());
            hangUp();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            hangUp();
        }
    }

    /** Sends one frame and waits until it is sent (one frame in flight at a time). */
    private void send(java.util.function.BiConsumer<Session, Callback> frame)
            throws InterruptedException, ExecutionException, TimeoutException {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        frame.accept(session, Callback.from(() -> sent.complete(null), sent::completeExceptionally));
        sent.get(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void onWebSocketBinary(ByteBuffer keys, Callback callback) {
        try {
            byte[] b = new byte[keys.remaining()];
            keys.get(b);
            terminal.input().write(b);
            terminal.input().flush();
            callback.succeed();
        } catch (IOException e) {
            callback.fail(e); // the program has ended: the pump closes the socket
        }
    }

    @Override
    public void onWebSocketText(String message) {
        try {
            JsonNode resize = JSON.readTree(message).path("resize");
            if (resize.path("cols").canConvertToInt() && resize.path("rows").canConvertToInt()) {
                terminal.resize(resize.path("cols").asInt(), resize.path("rows").asInt());
            }
        } catch (IOException | IllegalArgumentException e) {
            LOG.debug("control API: terminal of {}: ignored a message that is no resize: {}", what, e.getMessage());
        }
    }

    @Override
    public void onWebSocketClose(int status, String reason) {
        hangUp();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        LOG.debug("control API: terminal of {}: {}", what, cause.toString());
        hangUp();
    }

    private void hangUp() {
        terminal.close();
    }
}
