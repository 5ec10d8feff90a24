package dev.berth.samples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * A bounded HTTP load through a router on 127.0.0.1: {@code clients} threads send
 * {@code GET / HTTP/1.1} with one {@code Host} header, a fresh connection per request
 * ({@code Connection: close}, so a proxy's graceful reload can never race a reused idle
 * connection), with a short pause between requests. It stops by itself at {@code maxDuration} or
 * when {@link #stop} is called, whichever comes first.
 */
final class HostLoad implements AutoCloseable {
    /** What the load saw. */
    record Result(long ok, long failed, long bytes, List<String> failures, Map<String, Long> bodies) {
    }

    private final int port;
    private final String host;
    private final long started = System.nanoTime();
    private final long deadline;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final LongAdder ok = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final Map<String, Long> bodies = new ConcurrentHashMap<>();
    private final List<Thread> threads = new ArrayList<>();

    private HostLoad(int port, String host, Duration maxDuration) {
        this.port = port;
        this.host = host;
        this.deadline = System.nanoTime() + maxDuration.toNanos();
    }

    /** Starts {@code clients} threads at once. */
    static HostLoad start(int port, String host, int clients, Duration maxDuration) {
        HostLoad load = new HostLoad(port, host, maxDuration);
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(load::run, "load-" + i);
            t.setDaemon(true);
            load.threads.add(t);
            t.start();
        }
        return load;
    }

    private void run() {
        while (!stop.get() && System.nanoTime() < deadline) {
            try {
                String answer = once();
                bodies.merge(answer, 1L, Long::sum);
                ok.increment();
            } catch (IOException | RuntimeException e) {
                failures.add((System.nanoTime() - started) / 1_000_000 + " ms: " + e); // when, for the log
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One request; returns the instance id and release that answered ("hello-3 r2-lx8k"). */
    private String once() throws IOException {
        return hello(port, host, bytes);
    }

    /**
     * One {@code GET /} with that Host header to 127.0.0.1:{@code port}; returns the instance id and
     * release of a HelloApp's answer ({@code "hello-3 r2-lx8k"}); throws unless the answer is a whole 200.
     */
    static String hello(int port, String host) throws IOException {
        return hello(port, host, new LongAdder());
    }

    private static String hello(int port, String host, LongAdder bytes) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] all = in.readAllBytes();
            String text = new String(all, StandardCharsets.UTF_8);
            if (!text.startsWith("HTTP/1.1 200 ")) {
                throw new IOException("status line: " + text.lines().findFirst().orElse("(nothing)"));
            }
            int bodyAt = text.indexOf("\r\n\r\n");
            String body = bodyAt < 0 ? "" : text.substring(bodyAt + 4);
            if (!body.startsWith("hello from ") || !body.endsWith("\n")) {
                throw new IOException("incomplete body: '" + body + "'");
            }
            bytes.add(all.length);
            // "hello from <id> (release <release>, pid <pid>)"
            String[] words = body.split(" ");
            return words.length > 4 ? words[2] + " " + words[4].replace(",", "") : body;
        }
    }

    /** Stops the clients and waits for them; returns what they saw. */
    Result stop() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(15_000);
        }
        return new Result(ok.sum(), failures.size(), bytes.sum(), List.copyOf(failures), Map.copyOf(bodies));
    }

    long okSoFar() {
        return ok.sum();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
