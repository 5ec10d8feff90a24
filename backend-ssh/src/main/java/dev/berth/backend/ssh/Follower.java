package dev.berth.backend.ssh;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.client.session.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.BackendException;

/**
 * Follows a remote file: {@code tail -F} on an exec channel of a session of its own (so that
 * followers never take the channels that commands need), each complete line handed to the
 * consumer on the follower's own thread, in order. {@link #close()} ends the channel's input,
 * which makes the remote script stop its tail, and closes the session. Thread-safe.
 */
final class Follower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Follower.class);

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
        ExecutorService delivery = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "berth-ssh-follow");
            t.setDaemon(true);
            return t;
        });
        try {
            List<String> argv = new ArrayList<>(List.of("sh", "-c", script, "berth"));
            argv.addAll(args);
            ChannelExec channel = session.createExecChannel(ShellQuote.join(argv));
            channel.setOut(new Lines(line -> delivery.execute(() -> {
                try {
                    consumer.accept(line);
                } catch (RuntimeException e) {
                    LOG.warn("{}: the follow consumer failed: {}", what, e.toString());
                }
            })));
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

    /** Splits UTF-8 bytes into lines (without the newline) and hands each to the sink. */
    static final class Lines extends OutputStream {
        private final Consumer<String> sink;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        Lines(Consumer<String> sink) {
            this.sink = sink;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                String s = line.toString(StandardCharsets.UTF_8);
                line.reset();
                sink.accept(s.endsWith("\r") ? s.substring(0, s.length() - 1) : s);
            } else if (line.size() < (1 << 20)) {
                line.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }
    }
}
