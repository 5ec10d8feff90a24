// A terminal exec's attach stream: the screen's bytes into a pipe, and the end of the stream told to whoever waits.
package dev.berth.support.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exec's attach stream: each frame (a TTY's one stream) is written to the screen pipe;
 * its end closes the pipe (the reader sees the end) and the keystroke pipe (so the hijacking
 * thread, blocked on it, ends as well).
 */
final class ExecScreen extends ResultCallback.Adapter<Frame> {
    private static final Logger LOG = LoggerFactory.getLogger(ExecScreen.class);
    private final OutputStream screen;
    private final Pipe.SinkChannel sink;
    private final Pipe.SinkChannel keys;
    private final String what;
    private final CountDownLatch done = new CountDownLatch(1);

    ExecScreen(Pipe.SinkChannel sink, Pipe.SinkChannel keys, String what) {
        this.sink = sink;
        this.screen = Channels.newOutputStream(sink);
        this.keys = keys;
        this.what = what;
    }

    @Override
    public void onNext(Frame frame) {
        try {
            screen.write(frame.getPayload());
        } catch (IOException e) {
            LOG.debug("{}: the terminal's screen is closed: {}", what, e.toString());
        }
    }

    /** The stream broke (the engine went away, or close cut it): the terminal ends; waitFor asks the engine. */
    @Override
    public void onError(Throwable throwable) {
        LOG.debug("{}: the terminal's stream ended: {}", what, throwable.toString());
        end();
        try {
            close();
        } catch (IOException e) {
            LOG.debug("{}: closing the terminal's stream: {}", what, e.toString());
        }
    }

    @Override
    public void onComplete() {
        end();
        super.onComplete();
    }

    private void end() {
        try {
            sink.close();
            keys.close();
        } catch (IOException e) {
            LOG.debug("{}: closing the terminal's pipes: {}", what, e.toString());
        } finally {
            done.countDown();
        }
    }

    /** Closes the stream (its socket and thread); the terminal has ended then. */
    @Override
    public void close() throws IOException {
        try {
            super.close();
        } finally {
            done.countDown();
        }
    }

    /** Whether the stream has ended (docker-java's awaitCompletion with a timeout would close it). */
    boolean ended() {
        return done.getCount() == 0;
    }

    boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        return done.await(timeout, unit);
    }

    void await() throws InterruptedException {
        done.await();
    }
}
