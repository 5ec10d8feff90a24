package dev.berth.support.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The program of an {@link UpstreamProcess}: an HTTP/1.1 server on 127.0.0.1:PORT that answers
 * every request with 200 and NAME after DELAY_MS, so that requests are in flight when it is
 * killed. Arguments: PORT NAME DELAY_MS. Uses the JDK only.
 *
 * <p>Each answer (status line, headers and the short body) goes out in ONE write, as most servers
 * send a small response: a SIGKILL then leaves a request either answered whole or not answered at
 * all (which a router may retry), never a response cut after its headers, which no router can
 * repair and which the JDK's own HTTP server (headers flushed before the body) made possible.
 */
public final class UpstreamMain {
    private static final int MAX_HEAD = 64 * 1024;

    private UpstreamMain() {
    }

    /** Serves until killed. */
    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        byte[] body = args[1].getBytes(StandardCharsets.UTF_8);
        long delay = Long.parseLong(args[2]);
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] answer = new byte[head.length + body.length];
        System.arraycopy(head, 0, answer, 0, head.length);
        System.arraycopy(body, 0, answer, head.length, body.length);
        ExecutorService pool = Executors.newFixedThreadPool(64);
        try (ServerSocket listener = new ServerSocket(port, 128, InetAddress.getLoopbackAddress())) {
            while (true) {
                Socket s = listener.accept();
                pool.execute(() -> serve(s, answer, delay));
            }
        }
    }

    /** Answers the requests of one keep-alive connection until the client closes it. */
    private static void serve(Socket s, byte[] answer, long delay) {
        try (s; InputStream in = new BufferedInputStream(s.getInputStream()); OutputStream out = s.getOutputStream()) {
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return; // the client closed the connection
                }
                long length = contentLength(head);
                for (long skipped = 0; skipped < length; ) {
                    long n = in.skip(length - skipped);
                    if (n <= 0) {
                        if (in.read() < 0) {
                            return;
                        }
                        n = 1;
                    }
                    skipped += n;
                }
                Thread.sleep(delay);
                out.write(answer); // one write: all of the answer, or (killed before it) nothing
                out.flush();
                if (head.toLowerCase(Locale.ROOT).contains("\nconnection: close")) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The request line and headers up to the blank line; null at the end of the stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
            if (head.size() > MAX_HEAD) {
                throw new IOException("request head over " + MAX_HEAD + " bytes");
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static long contentLength(String head) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                return Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        return 0;
    }
}
