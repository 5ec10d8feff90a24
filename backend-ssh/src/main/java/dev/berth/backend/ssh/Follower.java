// Following an instance's output on a host: tail -F on an SSH session of its own, lines to the consumer.
package dev.berth.backend.ssh;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.client.session.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.BackendException;
import dev.berth.support.LineSplitter;
import dev.berth.support.OutputCaps;

/**
 * Follows a remote file: {@code tail -F} on an exec channel of a session of its own (so that
 * followers never take the channels that commands need), each complete line handed to the
 * consumer on the follower's own thread, in order. A line keeps its first 4 KiB ("... (N bytes
 * cut)" after them); at most {@value #QUEUE_LINES} lines wait for a slow consumer, the rest are
 * dropped and counted in a line "[berth: N lines dropped ...]". {@link #close()} ends the channel's
 * input, which makes the remote script stop its tail, and closes the session. Thread-safe.
 */
final class Follower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Follower.class);
    /** Lines that may wait for the consumer; more are dropped (and counted). */
    static final int QUEUE_LINES = 1000;

    private final ClientSession session;
    private final ChannelExec channel;
    private final ExecutorService delivery;
    private final String what;
    private volatile boolean closed;

    private Follower(ClientSession session, ChannelExec channel, ExecutorService delivery, String what) {
        this.session = session;
        this.channel = channel;
        this.delivery = delivery;
        this.what = what;
    }

    static Follower open(HostLink link, String script, List<String> args, Consumer<String> consumer, String what,
                         Duration timeout) {
        ClientSession session = link.openExtraSession();
        ThreadPoolExecutor delivery = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE_LINES), r -> {
                    Thread t = new Thread(r, "berth-ssh-follow");
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.DiscardPolicy());
        AtomicLong dropped = new AtomicLong();
        try {
            List<String> argv = new ArrayList<>(List.of("sh", "-c", script, "berth"));
            argv.addAll(args);
            ChannelExec channel = session.createExecChannel(ShellQuote.join(argv));
            channel.setOut(new Lines(line -> {
                if (delivery.getQueue().remainingCapacity() < 2) {
                    dropped.incrementAndGet();
                    return;
                }
                long lost = dropped.getAndSet(0);
                if (lost > 0) {
                    delivery.execute(deliver(consumer, what,
                            "[berth: " + lost + " lines dropped: the consumer did not keep up]"));
                }
                delivery.execute(deliver(consumer, what, line));
            }));
            channel.setErr(OutputStream.nullOutputStream());
            OpenFuture opened = channel.open();
            if (!opened.await(timeout) || !opened.isOpened()) {
                throw new BackendException(what + ": cannot open a channel to follow the output"
                        + (opened.getException() == null ? "" : ": " + opened.getException().getMessage()));
            }
            LOG.debug("{}: following its output", what);
            return new Follower(session, channel, delivery, what);
        } catch (IOException | RuntimeException e) {
            session.close(true);
            delivery.shutdownNow();
            if (e instanceof BackendException b) {
                throw b;
            }
            throw new BackendException(what + ": cannot follow the output: " + e.getMessage(), e);
        }
    }

    private static Runnable deliver(Consumer<String> consumer, String what, String line) {
        return () -> {
            try {
                consumer.accept(line);
            } catch (RuntimeException e) {
                LOG.warn("{}: the follow consumer failed: {}", what, e.toString());
            }
        };
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            OutputStream in = channel.getInvertedIn();
            if (in != null) {
                in.close(); // EOF: the remote script kills its tail
            }
        } catch (IOException e) {
            LOG.debug("{}: closing the follow input: {}", what, e.toString());
        }
        channel.close(false);
        session.close(false);
        delivery.shutdown();
        LOG.debug("{}: stopped following", what);
    }

    /**
     * The channel's output as lines: an {@link OutputStream} over a {@link LineSplitter}, which keeps
     * at most {@link OutputCaps#LINE_BYTES} bytes of a line (cut at a character boundary) and counts
     * the rest, so a line of any length costs at most that much memory. {@link #flush()} hands on
     * nothing: only a newline ends a line. Thread-safe.
     */
    static final class Lines extends OutputStream {
        private final LineSplitter splitter;

        Lines(Consumer<String> sink) {
            this.splitter = new LineSplitter(sink);
        }

        @Override
        public synchronized void write(int b) {
            splitter.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            splitter.write(b, off, len);
        }
    }
}
