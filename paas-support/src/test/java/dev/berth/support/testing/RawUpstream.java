package dev.berth.support.testing;

import dev.berth.api.Endpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An upstream on a real socket of 127.0.0.1 that records every request it reads (method and
 * {@link HttpCall#ID_HEADER}) and then answers 200 with its name, closes the connection without
 * answering a byte (as an instance dying mid-request does), or never answers (as an instance busy
 * for longer than the read timeout). Thread-safe.
 */
public final class RawUpstream implements AutoCloseable {
    /** One request as this upstream read it. */
    public record Seen(String method, String id) {
    }

    private final ServerSocket listener;
    private final String name;
    private final Mode mode;

    private enum Mode {
        ANSWER, CLOSE, SILENT
    }
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "raw-upstream");
        t.setDaemon(true);
        return t;
    });

    private RawUpstream(String name, Mode mode) throws IOException {
        this.listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        this.name = name;
        this.mode = mode;
        pool.execute(this::accept);
    }

    /** An upstream that answers 200 and {@code name} to every request. */
    public static RawUpstream answering(String name) throws IOException {
        return new RawUpstream(name, Mode.ANSWER);
    }

    /** An upstream that reads each request whole and closes the connection without an answer. */
    public static RawUpstream closing(String name) throws IOException {
        return new RawUpstream(name, Mode.CLOSE);
    }

    /** An upstream that reads each request whole and never answers (until the proxy gives up). */
    public static RawUpstream silent(String name) throws IOException {
        return new RawUpstream(name, Mode.SILENT);
    }

    /** Where it listens. */
    public Endpoint endpoint() {
        return new Endpoint("127.0.0.1", listener.getLocalPort());
    }

    /** Every request read so far, in order. */
    public List<Seen> seen() {
        return List.copyOf(seen);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                pool.execute(() -> serve(s));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setSoTimeout(15_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                String method = head.substring(0, Math.max(0, head.indexOf(' ')));
                String id = "";
                long length = 0;
                for (String line : head.split("\r\n")) {
                    String lower = line.toLowerCase(Locale.ROOT);
                    if (lower.startsWith(HttpCall.ID_HEADER.toLowerCase(Locale.ROOT) + ":")) {
                        id = line.substring(line.indexOf(':') + 1).strip();
                    } else if (lower.startsWith("content-length:")) {
                        length = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                    }
                }
                in.readNBytes((int) length);
                seen.add(new Seen(method, id));
                if (mode == Mode.CLOSE) {
                    return; // closes without a byte of answer
                }
                if (mode == Mode.SILENT) {
                    in.transferTo(OutputStream.nullOutputStream()); // until the proxy closes
                    return;
                }
                byte[] body = name.getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            }
        } catch (IOException e) {
            // the proxy closed the connection: nothing to answer
        }
    }

    /** The request line and headers up to the empty line, or {@code null} at the end of the stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            matched = (c == '\r' && matched % 2 == 0) || (c == '\n' && matched % 2 == 1) ? matched + 1 : 0;
            if (b.size() > 64 * 1024) {
                throw new IOException("request head over 64 KiB");
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        listener.close();
        pool.shutdownNow();
    }
}
