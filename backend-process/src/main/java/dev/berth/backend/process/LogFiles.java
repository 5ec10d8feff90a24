// An instance's output files: rotation (copy-truncate), bounded tails and followers.
package dev.berth.backend.process;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

import dev.berth.support.LineSplitter;
import dev.berth.support.OutputCaps;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An instance's output files: {@code output.log} (written by the process itself, O_APPEND) and
 * its rotated predecessors {@code output.log.1} (newest) .. {@code output.log.<files-1>}.
 * Rotation is copy-truncate, since the backend holds no pipe and cannot reopen the child's file
 * descriptor. Static helpers; thread-safe as long as one thread rotates a given file.
 */
final class LogFiles {
    static final String OUTPUT = "output.log";
    /** Longest line handed out (tail, follow, setup report), in bytes; the rest of a longer line is replaced by a marker. */
    static final int LINE_CAP = OutputCaps.LINE_BYTES;
    /** Most bytes {@link #tail} reads back, over all files: {@code logs(id, n)} is bounded whatever the file holds. */
    static final int TAIL_CAP = OutputCaps.ANSWER_BYTES;
    /** Most bytes of output quoted in an error message (a failed setup's last lines). */
    static final int ERROR_TAIL_CAP = OutputCaps.FAILURE_BYTES;
    private static final Logger LOG = LoggerFactory.getLogger(LogFiles.class);

    private LogFiles() {
    }

    static Path rotated(Path output, int n) {
        return output.resolveSibling(output.getFileName() + "." + n);
    }

    /**
     * When {@code output} is larger than {@code maxBytes}: drops the oldest, shifts the others
     * up, copies the last {@code maxBytes} bytes of the file to {@code .1} (with a marker line
     * when older bytes had to be dropped, so {@code .1} never exceeds the cap however far the file
     * grew between two checks) and truncates it to 0. The child writes with O_APPEND, so it
     * continues at the new end. Lines written between the copy and the truncation are lost (the
     * usual copy-truncate window, kept small by copying in the kernel). Never follows a symlink.
     *
     * @param files how many files to keep in all, counting {@code output} itself
     * @return whether it rotated
     */
    static boolean rotateIfNeeded(Path output, long maxBytes, int files) throws IOException {
        long size;
        try {
            size = Files.readAttributes(output, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).size();
        } catch (NoSuchFileException e) {
            return false;
        }
        if (size <= maxBytes) {
            return false;
        }
        if (files > 1) {
            Files.deleteIfExists(rotated(output, files - 1));
            for (int i = files - 2; i >= 1; i--) {
                Path from = rotated(output, i);
                if (Files.exists(from, LinkOption.NOFOLLOW_LINKS)) {
                    Files.move(from, rotated(output, i + 1), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Path first = rotated(output, 1);
            Path tmp = first.resolveSibling("." + first.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            try (FileChannel in = FileChannel.open(output, StandardOpenOption.READ, StandardOpenOption.WRITE,
                         LinkOption.NOFOLLOW_LINKS);
                 FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                         LinkOption.NOFOLLOW_LINKS)) {
                long end = in.size();
                long from = 0;
                long written = 0;
                if (end > maxBytes) {
                    byte[] marker = DROPPED.getBytes(StandardCharsets.UTF_8);
                    out.write(ByteBuffer.wrap(marker));
                    written = marker.length;
                    from = startOfLine(in, end - (maxBytes - marker.length), end);
                }
                written += copy(in, from, end, out);
                // Bytes the child wrote after 'end' are lost with the truncation: copy those that fit.
                long later = Math.min(in.size(), end + Math.max(0, maxBytes - written));
                copy(in, end, later, out);
                in.truncate(0);
            }
            Files.move(tmp, first, StandardCopyOption.REPLACE_EXISTING);
        } else {
            try (FileChannel ch = FileChannel.open(output, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                ch.truncate(0);
            }
        }
        return true;
    }

    private static final String DROPPED = "[berth: earlier output dropped by rotation: the file had outgrown its cap]\n";

    /** The position after the first newline at or after {@code from} (within 4 KiB), else {@code from}. */
    private static long startOfLine(FileChannel in, long from, long end) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(LINE_CAP, end - from));
        in.read(buf, from);
        for (int i = 0; i < buf.position(); i++) {
            if (buf.get(i) == '\n') {
                return from + i + 1;
            }
        }
        return from;
    }

    private static long copy(FileChannel in, long from, long to, FileChannel out) throws IOException {
        long pos = from;
        while (pos < to) {
            long n = in.transferTo(pos, to - pos, out);
            if (n <= 0) {
                break;
            }
            pos += n;
        }
        return pos - from;
    }

    /**
     * The last {@code lines} lines of the output, reading rotated files as far back as needed, at
     * most {@link #TAIL_CAP} bytes in all, each line cut at {@link #LINE_CAP}.
     */
    static List<String> tail(Path output, int lines, int files) throws IOException {
        Deque<String> result = new ArrayDeque<>();
        long budget = TAIL_CAP;
        for (int i = 0; i < Math.max(files, 1) && result.size() < lines && budget > 0; i++) {
            Path f = i == 0 ? output : rotated(output, i);
            if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
                if (i == 0) {
                    continue;
                }
                break;
            }
            long[] used = new long[1];
            List<String> part = tailOf(f, lines - result.size(), budget, used);
            budget -= used[0];
            for (int j = part.size() - 1; j >= 0; j--) {
                result.addFirst(part.get(j));
            }
        }
        return new ArrayList<>(result);
    }

    /** The last {@code lines} lines of one file, at most {@link #TAIL_CAP} bytes, each cut at {@link #LINE_CAP}. */
    static List<String> tailOf(Path file, int lines) throws IOException {
        return tailOf(file, lines, TAIL_CAP, new long[1]);
    }

    /** The same within {@code maxBytes} of the file's end. */
    static List<String> tailOf(Path file, int lines, long maxBytes) throws IOException {
        return tailOf(file, lines, maxBytes, new long[1]);
    }

    /**
     * The last {@code lines} complete or partial lines of one file, read backwards in blocks, no
     * more than {@code maxBytes} of it (a line whose start lies further back is marked as cut);
     * {@code used[0]} gets the bytes read.
     */
    private static List<String> tailOf(Path file, int lines, long maxBytes, long[] used) throws IOException {
        if (lines <= 0 || maxBytes <= 0) {
            return List.of();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long end = ch.size();
            if (end == 0) {
                return List.of();
            }
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, end - 1);
            long stop = one.get(0) == '\n' ? end - 1 : end; // ignore the final newline
            long floor = Math.max(0, stop - maxBytes);
            long pos = stop;
            int newlines = 0;
            ByteBuffer block = ByteBuffer.allocate(8192);
            long start = floor;
            outer:
            while (pos > floor) {
                int n = (int) Math.min(block.capacity(), pos - floor);
                pos -= n;
                block.clear().limit(n);
                readFully(ch, block, pos);
                for (int i = n - 1; i >= 0; i--) {
                    if (block.get(i) == '\n' && ++newlines == lines) {
                        start = pos + i + 1;
                        break outer;
                    }
                }
            }
            boolean cutAtStart = start == floor && floor > 0 && newlines < lines;
            ByteBuffer bytes = ByteBuffer.allocate((int) (stop - start));
            readFully(ch, bytes, start);
            used[0] = end - start;
            String text = new String(bytes.array(), StandardCharsets.UTF_8);
            if (text.isEmpty()) {
                return List.of("");
            }
            List<String> out = new ArrayList<>();
            for (String line : text.split("\n", -1)) {
                out.add(capLine(line));
            }
            if (cutAtStart) {
                out.set(0, "... " + out.get(0));
            }
            return out;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        long at = pos;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, at);
            if (n < 0) {
                throw new java.io.EOFException("file shrank while it was read");
            }
            at += n;
        }
    }

    /** The line, cut at {@link #LINE_CAP} bytes with a marker saying how much was left out. */
    static String capLine(String line) {
        return OutputCaps.cutLine(line);
    }

    /**
     * Follows a file from its current end on a daemon thread, polling, handing each complete line
     * to a consumer, coping with truncation by rotation (it reads what it missed from
     * {@code .1}). Closing stops the thread. Thread-safe.
     */
    static final class Follower implements AutoCloseable {
        private static final long POLL_MILLIS = 150;
        private final Path output;
        private final Consumer<String> consumer;
        private final String what;
        private final Thread thread;
        private volatile boolean closed;

        Follower(Path output, Consumer<String> consumer, String what) {
            this.output = output;
            this.consumer = consumer;
            this.what = what;
            long start;
            try {
                start = Files.exists(output) ? Files.size(output) : 0;
            } catch (IOException e) {
                start = 0;
            }
            long from = start;
            this.thread = new Thread(() -> run(from), "berth-process-follow-" + what);
            thread.setDaemon(true);
            thread.start();
        }

        private void run(long startPos) {
            long pos = startPos;
            LineSplitter partial = new LineSplitter(this::emit);
            while (!closed) {
                try {
                    long size = Files.exists(output) ? Files.size(output) : 0;
                    if (size < pos) {
                        // truncated by rotation: what we had not read yet is at the end of .1
                        Path first = rotated(output, 1);
                        if (Files.exists(first) && Files.size(first) > pos) {
                            pos = read(first, pos, partial);
                        }
                        pos = 0;
                    }
                    if (size > pos) {
                        pos = read(output, pos, partial);
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.debug("following output of {}: {}", what, e.toString());
                }
                try {
                    Thread.sleep(POLL_MILLIS);
                } catch (InterruptedException e) {
                    break;
                }
            }
        }

        /** Reads from pos to the current end, emits complete lines; returns the new position. */
        private long read(Path file, long pos, LineSplitter partial) throws IOException {
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
                long end = raf.length();
                raf.seek(pos);
                byte[] buf = new byte[8192];
                while (pos < end && !closed) {
                    int n = raf.read(buf, 0, (int) Math.min(buf.length, end - pos));
                    if (n <= 0) {
                        break;
                    }
                    partial.write(buf, 0, n);
                    pos += n;
                }
                return pos;
            }
        }

        private void emit(String line) {
            try {
                consumer.accept(line);
            } catch (RuntimeException e) {
                LOG.warn("log consumer of {} failed: {}", what, e.toString());
            }
        }

        @Override
        public void close() {
            closed = true;
            thread.interrupt();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
