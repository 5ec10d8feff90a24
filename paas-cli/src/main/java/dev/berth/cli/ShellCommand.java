// berth shell ID: an interactive shell in an instance over the API's WebSocket, with the local terminal in raw mode.
package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Magrathea's "shells on the clusters", Dokku's {@code enter}: a program (a shell) on a
 * pseudo-terminal in the instance, through {@code GET /v1/instances/{id}/shell} as a WebSocket.
 * The local terminal goes into raw mode (keys, Ctrl-C included, go to the remote program as
 * typed), window size changes follow (SIGWINCH), and berth exits with the remote program's exit
 * code, like ssh; the terminal's settings are restored whatever happens.
 */
@Command(name = "shell", description = "An interactive shell in an instance (admin token); exits with the shell's exit code.")
final class ShellCommand extends ClientCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(paramLabel = "ID", description = "the instance, such as web-3")
    String id;

    @Option(names = "--command", paramLabel = "PROGRAM", defaultValue = "/bin/sh",
            description = "the program to run (default: ${DEFAULT-VALUE}; no arguments: no shell reads it)")
    String command;

    @Override
    int run(ApiClient api) throws Exception {
        Optional<LocalTty> tty = LocalTty.open();
        int[] size = tty.map(LocalTty::size).orElse(new int[] {80, 24});
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        OutputStream screen = System.out;
        WebSocket ws = connect(api, "v1/instances/" + seg(id) + "/shell?cols=" + size[0] + "&rows=" + size[1]
                + "&command=" + seg(command), new Screen(screen, exit));
        if (tty.isPresent()) {
            tty.get().raw();
        }
        try {
            tty.ifPresent(t -> onResize(() -> {
                int[] s = t.size();
                ws.sendText("{\"resize\":{\"cols\":" + s[0] + ",\"rows\":" + s[1] + "}}", true);
            }));
            Thread keys = new Thread(() -> typeFrom(System.in, ws), "berth-shell-keys");
            keys.setDaemon(true);
            keys.start();
            return exit.get();
        } catch (ExecutionException e) {
            throw new CliException("the shell's connection failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            tty.ifPresent(LocalTty::restore);
        }
    }

    private WebSocket connect(ApiClient api, String path, WebSocket.Listener listener) throws InterruptedException {
        URI http = api.uri(path);
        URI uri = URI.create(http.toString().replaceFirst("^http", "ws"));
        WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder();
        if (connection.token != null && !connection.token.isEmpty()) {
            b.header("Authorization", "Bearer " + connection.token);
        }
        try {
            return b.buildAsync(uri, listener).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                Object body = h.getResponse().body();
                throw api.failureOf(h.getResponse().statusCode(), body instanceof String s ? s : "");
            }
            throw new CliException("cannot open a shell in " + id + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Sends what is typed, as it is typed, until the input ends or the socket closes. */
    private static void typeFrom(InputStream in, WebSocket ws) {
        byte[] buf = new byte[1024];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                ws.sendBinary(ByteBuffer.wrap(java.util.Arrays.copyOf(buf, n)), true).join();
            }
        } catch (IOException | RuntimeException e) {
            // the shell ended (the socket closed) or the input did: nothing more to send
        }
    }

    /** Runs {@code action} on every window size change (SIGWINCH), where the JVM lets berth listen for it. */
    @SuppressWarnings("removal")
    private static void onResize(Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), s -> action.run());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // no SIGWINCH here: the size stays as it was at the start
        }
    }

    /** Writes the remote screen here; completes with the exit code. */
    private static final class Screen implements WebSocket.Listener {
        private final OutputStream out;
        private final CompletableFuture<Integer> exit;
        private final StringBuilder text = new StringBuilder();

        Screen(OutputStream out, CompletableFuture<Integer> exit) {
            this.out = out;
            this.exit = exit;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            try {
                byte[] b = new byte[data.remaining()];
                data.get(b);
                out.write(b);
                out.flush();
            } catch (IOException e) {
                exit.completeExceptionally(e);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    JsonNode m = JSON.readTree(text.toString());
                    if (m.has("exit")) {
                        exit.complete(m.get("exit").asInt());
                    }
                } catch (IOException e) {
                    // not ours to read: ignored
                }
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            exit.completeExceptionally(new IOException("the server closed the shell (" + status + " " + reason + ")"));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            exit.completeExceptionally(error);
        }
    }
}
