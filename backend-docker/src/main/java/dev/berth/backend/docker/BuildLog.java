// The output of one image build within the byte caps: lines for the progress consumer, the last lines and the error for a failure.
package dev.berth.backend.docker;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.model.BuildResponseItem;

import dev.berth.support.LineSplitter;
import dev.berth.support.OutputCaps;

/**
 * Collects an image build's stream: lines are joined across messages and cut at
 * {@link OutputCaps#LINE_BYTES}; non-blank ones go to the progress consumer until
 * {@link #BUILD_BYTES} have been reported, then are only counted (one line at the end says
 * how many were left out). Keeps the last {@value #TAIL_LINES} lines and the first
 * {@link #ERROR_BYTES} of the error for the failure message. Thread-safe.
 */
final class BuildLog extends BuildImageResultCallback {
    /** Lines of the build quoted when it fails. */
    static final int TAIL_LINES = 20;
    /** The most of an image build's output reported line by line; the rest is counted. */
    static final int BUILD_BYTES = 1 << 20;
    /** The most of a build's error text quoted in a failure message. */
    static final int ERROR_BYTES = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(BuildLog.class);

    private final Consumer<String> progress;
    private final LineSplitter splitter = new LineSplitter(this::line);
    private final Deque<String> last = new ArrayDeque<>();
    private final StringBuilder error = new StringBuilder();
    private long reported;
    private long unreportedLines;
    private long unreportedBytes;

    BuildLog(Consumer<String> progress) {
        this.progress = progress;
    }

    @Override
    public void onNext(BuildResponseItem item) {
        String failure = item.getErrorDetail() != null ? item.getErrorDetail().getMessage() : null;
        String text = item.getStream() != null ? item.getStream() : failure == null ? null : failure + "\n";
        synchronized (this) {
            if (failure != null && error.length() < ERROR_BYTES) {
                error.append(OutputCaps.cutText(failure, ERROR_BYTES - error.length()));
            }
            if (text != null) {
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                splitter.write(bytes, 0, bytes.length);
            }
        }
        super.onNext(item);
    }

    private void line(String line) {
        if (line.isBlank()) {
            return;
        }
        last.addLast(line);
        while (last.size() > TAIL_LINES) {
            last.removeFirst();
        }
        long size = OutputCaps.utf8Length(line) + 1;
        if (reported + size > BUILD_BYTES) {
            unreportedLines++;
            unreportedBytes += size;
            return;
        }
        reported += size;
        report(line);
    }

    private void report(String line) {
        try {
            progress.accept(line);
        } catch (RuntimeException e) {
            LOG.debug("build progress consumer failed: {}", e.toString());
        }
    }

    /** Once the build has ended: the pending line, and how much output was not reported, if any. */
    synchronized void finish() {
        splitter.flush();
        if (unreportedLines > 0) {
            report("[berth: " + unreportedLines + " more lines (" + unreportedBytes + " bytes) of build output not "
                    + "reported: at most " + BUILD_BYTES + " bytes are]");
            unreportedLines = 0;
            unreportedBytes = 0;
        }
    }

    /** The last lines of the build, one per line. */
    synchronized String tail() {
        return String.join("\n", last);
    }

    /** The build's error (cut), or null when it reported none. */
    synchronized String error() {
        return error.length() == 0 ? null : error.toString();
    }
}
