package dev.berth.backend.process;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

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
    private static final Logger LOG = LoggerFactory.getLogger(LogFiles.class);

    private LogFiles() {
    }

    static Path rotated(Path output, int n) {
        return output.resolveSibling(output.getFileName() + "." + n);
    }

    /**
     * When {@code output} is larger than {@code maxBytes}: drops the oldest, shifts the others
     * up, copies the file to {@code .1} and truncates it to 0. The child writes with O_APPEND, so
     * it continues at the new end. Lines written between the copy and the truncation are lost
     * (the usual copy-truncate window, kept small by copying in the kernel).
     *
     * @param files how many files to keep in all, counting {@code output} itself
     * @return whether it rotated
     */
    static boolean rotateIfNeeded(Path output, long maxBytes, int files) throws IOException {
        long size;
        try {
            size = Files.size(output);
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
                if (Files.exists(from)) {
                    Files.move(from, rotated(output, i + 1), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Path first = rotated(output, 1);
            Path tmp = first.resolveSibling("." + first.getFileName() + ".tmp");
            try (FileChannel in = FileChannel.open(output, StandardOpenOption.READ, StandardOpenOption.WRITE);
                 FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         StandardOpenOption.TRUNCATE_EXISTING)) {
                long end = in.size();
                long pos = 0;
                while (pos < end) {
                    long n = in.transferTo(pos, end - pos, out);
                    if (n <= 0) {
                        break;
                    }
                    pos += n;
                }
                // Bytes the child wrote after 'end' are lost with the truncation; copy them too if any.
                long later = in.size();
                while (pos < later) {
                    long n = in.transferTo(pos, later - pos, out);
                    if (n <= 0) {
                        break;
                    }
                    pos += n;
                }
                in.truncate(0);
            }
            Files.move(tmp, first, StandardCopyOption.REPLACE_EXISTING);
        } else {
            try (FileChannel ch = FileChannel.open(output, StandardOpenOption.WRITE)) {
                ch.truncate(0);
            }
        }
        return true;
    }

    /** The last {@code lines} lines of the output, reading rotated files as far back as needed. */
    static List<String> tail(Path output, int lines, int files) throws IOException {
        Deque<String> result = new ArrayDeque<>();
        for (int i = 0; i < Math.max(files, 1) && result.size() < lines; i++) {
            Path f = i == 0 ? output : rotated(output, i);
            if (!Files.exists(f)) {
                if (i == 0) {
                    continue;
                }
                break;
            }
            List<String> part = tailOf(f, lines - result.size());
            for (int j = part.size() - 1; j >= 0; j--) {
                result.addFirst(part.get(j));
            }
        }
        return new ArrayList<>(result);
    }

    /** The last {@code lines} complete or partial lines of one file, read backwards in blocks. */
    static List<String> tailOf(Path file, int lines) throws IOException {
        if (lines <= 0) {
            return List.of();
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long end = raf.length();
            if (end == 0) {
                return List.of();
            }
            byte[] last = new byte[1];
            raf.seek(end - 1);
            raf.readFully(last);
            long stop = last[0] == '\n' ? end - 1 : end; // ignore the final newline
            long pos = stop;
            int newlines = 0;
            byte[] block = new byte[8192];
            long start = 0;
            outer:
            while (pos > 0) {
                int n = (int) Math.min(block.length, pos);
                pos -= n;
                raf.seek(pos);
                raf.readFully(block, 0, n);
                for (int i = n - 1; i >= 0; i--) {
                    if (block[i] == '\n' && ++newlines == lines) {
                        start = pos + i + 1;
                        break outer;
                    }
                }
            }
            int len = (int) Math.min(stop - start, Integer.MAX_VALUE - 16);
            byte[] bytes = new byte[len];
            raf.seek(stop - len);
            raf.readFully(bytes);
            String text = new String(bytes, StandardCharsets.UTF_8);
            if (text.isEmpty()) {
                return List.of("");
            }
            return List.of(text.split("\n", -1));
        }
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
            java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();
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
        private long read(Path file, long pos, java.io.ByteArrayOutputStream partial) throws IOException {
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
                long end = raf.length();
                raf.seek(pos);
                byte[] buf = new byte[8192];
                while (pos < end && !closed) {
                    int n = raf.read(buf, 0, (int) Math.min(buf.length, end - pos));
                    if (n <= 0) {
                        break;
                    }
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            emit(partial.toString(StandardCharsets.UTF_8));
                            partial.reset();
                        } else if (partial.size() < 1 << 20) {
                            partial.write(buf[i]);
                        }
                    }
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
