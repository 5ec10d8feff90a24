package dev.berth.router.haproxy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Talks to an haproxy CLI socket (the worker's stats socket, or the master CLI) over a UNIX-domain
 * stream, in its non-interactive mode: one connection per line of {@code ;}-separated commands, the
 * answer read until haproxy closes. Every wait is bounded. Stateless; thread-safe.
 */
final class Cli {
    /** The CLI reads one line into a buffer of haproxy's bufsize (16 kB): stay well below. */
    static final int MAX_LINE = 4096;
    private static final Pattern PID = Pattern.compile("(?m)^Pid: (\\d+)$");

    private Cli() {
    }

    /** Sends {@code line} (commands separated by {@code ;}) and returns haproxy's whole answer. */
    static String call(Path socket, String line, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                Selector selector = Selector.open()) {
            ch.configureBlocking(false);
            if (!ch.connect(UnixDomainSocketAddress.of(socket))) {
                ch.register(selector, SelectionKey.OP_CONNECT);
                while (!ch.finishConnect()) {
                    await(selector, deadline, socket);
                }
            }
            ByteBuffer out = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII));
            SelectionKey key = ch.register(selector, SelectionKey.OP_WRITE);
            while (out.hasRemaining()) {
                if (ch.write(out) == 0) {
                    await(selector, deadline, socket);
                }
            }
            // the master CLI answers once it sees the end of the input
            ch.shutdownOutput();
            key.interestOps(SelectionKey.OP_READ);
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            StringBuilder answer = new StringBuilder();
            while (true) {
                int n = ch.read(in);
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    await(selector, deadline, socket);
                    continue;
                }
                in.flip();
                answer.append(StandardCharsets.ISO_8859_1.decode(in));
                in.clear();
            }
            return answer.toString();
        }
    }

    /** Sends the commands in as few lines as fit {@link #MAX_LINE}; returns the answers joined. */
    static String callAll(Path socket, List<String> commands, Duration timeout) throws IOException {
        StringBuilder answers = new StringBuilder();
        for (String line : lines(commands)) {
            answers.append(call(socket, line, timeout));
        }
        return answers.toString();
    }

    /** The commands joined by {@code ;} into lines of at most {@link #MAX_LINE} characters. */
    static List<String> lines(List<String> commands) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String c : commands) {
            if (c.indexOf(';') >= 0 || c.indexOf('\n') >= 0 || c.length() > MAX_LINE) {
                throw new IllegalArgumentException("not a single CLI command: " + c);
            }
            if (line.length() > 0 && line.length() + 1 + c.length() > MAX_LINE) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(';');
            }
            line.append(c);
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }

    /** The worker's pid from its {@code show info}, if the socket answers. */
    static OptionalLong workerPid(Path adminSocket, Duration timeout) {
        try {
            Matcher m = PID.matcher(call(adminSocket, "show info", timeout));
            return m.find() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    private static void await(Selector selector, long deadline, Path socket) throws IOException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new IOException("no answer from " + socket + " in time");
        }
        selector.select(left);
        selector.selectedKeys().clear();
    }
}
