package dev.berth.support.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One HTTP/1.1 request on a new connection to 127.0.0.1 with {@code Connection: close}, never
 * retried: what the router tests' clients send. A response cut short is an {@link IOException}.
 * Stateless; thread-safe.
 */
public final class HttpCall {
    /** The header that carries a request's id, which the test upstreams record. */
    public static final String ID_HEADER = "X-Request-Id";

    private HttpCall() {
    }

    /** A complete response: its status and body. */
    public record Response(int status, String body) {
        /** Whether the status is 2xx. */
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    /** GET / with {@code Host: host} to 127.0.0.1:{@code port}. */
    public static Response get(int port, String host, String id) throws IOException {
        return call(port, host, "GET", id, null);
    }

    /** POST / with {@code body} and {@code Host: host} to 127.0.0.1:{@code port}. */
    public static Response post(int port, String host, String id, String body) throws IOException {
        return call(port, host, "POST", id, body);
    }

    private static Response call(int port, String host, String method, String id, String body) throws IOException {
        byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
            s.setSoTimeout(10_000);
            String head = method + " / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n" + ID_HEADER + ": "
                    + id + "\r\n" + (body == null ? "" : "Content-Length: " + content.length + "\r\n") + "\r\n";
            // head and body in one write: the whole request arrives at once, as a small one does
            byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
            byte[] request = java.util.Arrays.copyOf(headBytes, headBytes.length + content.length);
            System.arraycopy(content, 0, request, headBytes.length, content.length);
            OutputStream out = s.getOutputStream();
            out.write(request);
            out.flush();
            return parse(s.getInputStream().readAllBytes());
        }
    }

    /** Parses a whole response; throws when it is not one or its body is cut short. */
    static Response parse(byte[] all) throws IOException {
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.") || end < 0 || text.length() < 12) {
            throw new IOException("not a complete HTTP response (" + all.length + " bytes)");
        }
        String bodyText = text.substring(end + 4);
        for (String line : text.substring(0, end).split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                int length = Integer.parseInt(line.substring("content-length:".length()).strip());
                if (length != bodyText.length()) {
                    throw new IOException("body cut short: " + bodyText.length() + " of " + length + " bytes");
                }
            }
        }
        return new Response(Integer.parseInt(text.substring(9, 12)),
                new String(bodyText.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
    }
}
