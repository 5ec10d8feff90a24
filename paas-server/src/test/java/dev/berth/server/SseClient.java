package dev.berth.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** A Server-Sent Events client on a plain socket (HTTP/1.0: no chunks; bounded by a read timeout), for the tests. */
final class SseClient implements AutoCloseable {
    /** One event as received: its id, its event name (null for a plain message) and its data. */
    record Event(long id, String name, String data) {
    }

    private final Socket socket;
    private final BufferedReader in;
    private final List<Event> received = new ArrayList<>();

    SseClient(int port, String pathAndQuery, String token, String lastEventId) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(20_000);
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + pathAndQuery + " HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n"
                + (lastEventId == null ? "" : "Last-Event-ID: " + lastEventId + "\r\n") + "Accept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        String status = in.readLine();
        if (status == null || !status.matches("HTTP/1\\.[01] 200.*")) {
            throw new IOException("event stream answered " + status);
        }
        for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
            // headers
        }
    }

    /** Reads events until one matches {@code until} (a read timeout fails); returns every event read so far. */
    List<Event> readUntil(Predicate<Event> until) throws IOException {
        long id = -1;
        String name = null;
        StringBuilder data = new StringBuilder();
        while (true) {
            String line = in.readLine();
            if (line == null) {
                throw new IOException("the stream ended");
            }
            if (line.isEmpty()) {
                if (data.length() > 0) {
                    Event e = new Event(id, name, data.toString());
                    received.add(e);
                    if (until.test(e)) {
                        return List.copyOf(received);
                    }
                }
                id = -1;
                name = null;
                data.setLength(0);
            } else if (line.startsWith("id: ")) {
                id = Long.parseLong(line.substring(4));
            } else if (line.startsWith("event: ")) {
                name = line.substring(7);
            } else if (line.startsWith("data: ")) {
                data.append(line.substring(6));
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
