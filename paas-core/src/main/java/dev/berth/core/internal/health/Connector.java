package dev.berth.core.internal.health;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Non-blocking TCP connects on one selector thread: a connect in flight holds no thread, so a
 * thousand instances starting at once, or a host that drops packets, cost one thread in all and
 * never wait behind a slow HTTP probe. Each connect completes with {@code null} (accepted) or the
 * reason it failed (refused, timed out). Thread-safe.
 */
final class Connector implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Connector.class);

    /** One connect in flight. */
    private record Pending(InetSocketAddress to, long deadlineNanos, long timeoutMs, CompletableFuture<String> done) {
    }

    private final Selector selector;
    private final Queue<Pending> incoming = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    Connector() {
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a selector for readiness probes: " + e, e);
        }
        this.thread = new Thread(this::run, "berth-connect");
        thread.setDaemon(true);
        thread.start();
    }

    /** Connects to {@code to} (resolved) and closes at once; completes with null, or why it failed. */
    CompletableFuture<String> connect(InetSocketAddress to, long timeoutMs) {
        CompletableFuture<String> done = new CompletableFuture<>();
        if (closed) {
            done.complete("prober closed");
            return done;
        }
        incoming.add(new Pending(to, System.nanoTime() + timeoutMs * 1_000_000L, timeoutMs, done));
        selector.wakeup();
        return done;
    }

    private void run() {
        try {
            while (!closed) {
                selector.select(nextWaitMs());
                for (Pending p; (p = incoming.poll()) != null; ) {
                    begin(p);
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    finish(key);
                }
                selector.selectedKeys().clear();
                expire();
            }
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                log.error("readiness connects stopped: {}", e.toString(), e);
            }
        } finally {
            failAll("prober closed");
        }
    }

    private void begin(Pending p) {
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            ch.configureBlocking(false);
            if (ch.connect(p.to())) {
                close(ch);
                p.done().complete(null);
            } else {
                ch.register(selector, SelectionKey.OP_CONNECT, p);
            }
        } catch (IOException | RuntimeException e) {
            close(ch);
            p.done().complete(describe(e));
        }
    }

    private void finish(SelectionKey key) {
        Pending p = (Pending) key.attachment();
        SocketChannel ch = (SocketChannel) key.channel();
        key.cancel();
        try {
            boolean connected = ch.finishConnect();
            p.done().complete(connected ? null : "connect did not complete");
        } catch (IOException | RuntimeException e) {
            p.done().complete(describe(e));
        } finally {
            close(ch);
        }
    }

    private void expire() {
        long now = System.nanoTime();
        List<SelectionKey> late = new ArrayList<>();
        for (SelectionKey key : selector.keys()) {
            if (key.isValid() && key.attachment() instanceof Pending p && now - p.deadlineNanos() >= 0) {
                late.add(key);
            }
        }
        for (SelectionKey key : late) {
            Pending p = (Pending) key.attachment();
            key.cancel();
            close((SocketChannel) key.channel());
            p.done().complete("connect timed out after " + p.timeoutMs() + " ms");
        }
    }

    /** Milliseconds until the nearest deadline (at least 1, at most 1000; 0 would block forever). */
    private long nextWaitMs() {
        long now = System.nanoTime();
        long wait = 1000;
        for (SelectionKey key : selector.keys()) {
            if (key.isValid() && key.attachment() instanceof Pending p) {
                wait = Math.min(wait, (p.deadlineNanos() - now) / 1_000_000 + 1);
            }
        }
        return Math.max(1, wait);
    }

    private void failAll(String why) {
        for (Pending p; (p = incoming.poll()) != null; ) {
            p.done().complete(why);
        }
        try {
            for (SelectionKey key : selector.keys()) {
                if (key.attachment() instanceof Pending p) {
                    p.done().complete(why);
                }
                close((SocketChannel) key.channel());
            }
            selector.close();
        } catch (IOException | ClosedSelectorException e) {
            log.debug("closing the readiness selector: {}", e.toString());
        }
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private static void close(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                log.trace("closing a probe socket: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
