// A container's log frames as lines within the byte caps: the last ones collected, or each handed to a follower.
package dev.berth.backend.docker;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;

import dev.berth.support.LineSplitter;
import dev.berth.support.OutputCaps;

/**
 * Turns log frames into lines cut at {@link OutputCaps#LINE_BYTES} ({@link LineSplitter}). Either
 * collects the last {@code max} lines, at most {@link OutputCaps#ANSWER_BYTES} of them in all
 * (older ones are dropped as newer arrive), or hands each line to a consumer as it comes. Memory
 * stays bounded however long the lines or the stream. Thread-safe.
 */
final class LogLines extends ResultCallback.Adapter<Frame> {
    private static final Logger LOG = LoggerFactory.getLogger(LogLines.class);
    private final Consumer<String> consumer;
    private final int max;
    private final Deque<String> kept = new ArrayDeque<>();
    private long keptBytes;
    private final LineSplitter splitter = new LineSplitter(this::emit);

    private LogLines(Consumer<String> consumer, int max) {
        this.consumer = consumer;
        this.max = max;
    }

    /** Collects the last {@code lines} lines, read with {@link #lines()}. */
    static LogLines collecting(int lines) {
        return new LogLines(null, lines);
    }

    /** Hands every line to {@code consumer} on the stream's thread. */
    static LogLines following(Consumer<String> consumer) {
        return new LogLines(consumer, 0);
    }

    @Override
    public synchronized void onNext(Frame frame) {
        byte[] payload = frame.getPayload();
        if (payload != null) {
            splitter.write(payload, 0, payload.length);
        }
    }

    private void emit(String line) {
        if (consumer != null) {
            try {
                consumer.accept(line);
            } catch (RuntimeException e) {
                LOG.debug("log consumer failed: {}", e.toString());
            }
            return;
        }
        kept.addLast(line);
        keptBytes += OutputCaps.utf8Length(line) + 1;
        while (kept.size() > max || keptBytes > OutputCaps.ANSWER_BYTES) {
            keptBytes -= OutputCaps.utf8Length(kept.removeFirst()) + 1;
        }
    }

    /** The lines collected so far, a last one without its newline included. */
    synchronized List<String> lines() {
        splitter.flush();
        return List.copyOf(kept);
    }
}
