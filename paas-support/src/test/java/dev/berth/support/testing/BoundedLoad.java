package dev.berth.support.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Client threads sending GETs to one domain through a router, each on a new connection, without
 * any retry, bounded in count and time, until stopped. A failure is any non-2xx answer or I/O
 * error. Thread-safe.
 */
public final class BoundedLoad {
    /** At most this many client threads. */
    public static final int MAX_CLIENTS = 16;
    /** At most this long. */
    public static final long MAX_MILLIS = 20_000;

    private final int port;
    private final String host;
    private final int perClient;
    private final long deadline;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong ids = new AtomicLong();
    private final LongAdder ok = new LongAdder();
    private final AtomicLong failed = new AtomicLong();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final Map<String, LongAdder> bodies = new ConcurrentHashMap<>();

    /**
     * Starts {@code clients} threads (at most {@value #MAX_CLIENTS}) that each send at most
     * {@code perClient} GETs with {@code Host: host} to 127.0.0.1:{@code port} for at most
     * {@code millis} ms (at most {@value #MAX_MILLIS}), pausing {@code pauseMs} between two.
     */
    public static BoundedLoad start(int port, String host, int clients, int perClient, long millis, long pauseMs) {
        if (clients < 1 || clients > MAX_CLIENTS) {
            throw new IllegalArgumentException("clients: " + clients + " is not allowed; 1.." + MAX_CLIENTS);
        }
        if (millis < 1 || millis > MAX_MILLIS) {
            throw new IllegalArgumentException("millis: " + millis + " is not allowed; 1.." + MAX_MILLIS);
        }
        BoundedLoad load = new BoundedLoad(port, host, perClient, millis);
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(() -> load.run(pauseMs), "load-" + host + "-" + i);
            t.setDaemon(true);
            load.threads.add(t);
        }
        load.threads.forEach(Thread::start);
        return load;
    }

    private BoundedLoad(int port, String host, int perClient, long millis) {
        this.port = port;
        this.host = host;
        this.perClient = perClient;
        this.deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private void run(long pauseMs) {
        for (int n = 0; n < perClient && running.get() && System.nanoTime() < deadline; n++) {
            String id = host + "-" + ids.incrementAndGet();
            try {
                HttpCall.Response r = HttpCall.get(port, host, id);
                if (r.ok()) {
                    ok.increment();
                    bodies.computeIfAbsent(r.body(), b -> new LongAdder()).increment();
                } else {
                    fail(id + ": status " + r.status() + " " + r.body().strip());
                }
            } catch (IOException e) {
                fail(id + ": " + e);
            }
            if (pauseMs > 0) {
                try {
                    Thread.sleep(pauseMs);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void fail(String why) {
        if (failed.incrementAndGet() <= 20) {
            failures.add(why);
        }
    }

    /** Answered requests so far. */
    public long ok() {
        return ok.sum();
    }

    /** Failed requests so far. */
    public long failed() {
        return failed.get();
    }

    /** The first (at most 20) failures, each with its reason. */
    public List<String> failures() {
        return List.copyOf(failures);
    }

    /** Answers so far by body (each test upstream answers its name). */
    public Map<String, Long> byBody() {
        Map<String, Long> m = new java.util.TreeMap<>();
        bodies.forEach((b, n) -> m.put(b, n.sum()));
        return m;
    }

    /** Whether every client still runs (none ran out of requests or time). */
    public boolean running() {
        return threads.stream().allMatch(Thread::isAlive);
    }

    /** Waits until answered requests reach {@code count}, at most {@code millis} ms; whether they did. */
    public boolean awaitOk(long count, long millis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (ok() < count && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        return ok() >= count;
    }

    /** Stops the clients and waits for them (each finishes its request in progress). */
    public void stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(15_000);
        }
    }
}
