// The byte caps on every piece of an instance's or a setup's output that the SSH backend hands back.
package dev.berth.backend.ssh;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The caps on output handed back to the platform, in bytes as well as lines, and the helpers that
 * apply them. A line longer than {@link #LINE_BYTES} keeps its first {@link #LINE_BYTES} bytes (cut
 * at a character boundary) followed by {@code "... (N bytes cut)"}. The remote scripts cut the same
 * way (see {@link Scripts}), so these helpers are the second line of defence: they never cut a line
 * the host has already cut. Stateless and thread-safe.
 */
final class OutputCaps {
    /** The bytes kept of one line (the process backend keeps as much). */
    static final int LINE_BYTES = 4096;
    /** Room for a marker after a cut line: a line cut on the host is not cut again here. */
    static final int MARKER_BYTES = 64;
    /** The most {@code logs(id, n)} returns, newlines included, and the most a host reads for it. */
    static final int ANSWER_BYTES = 1 << 20;
    /** The most of a setup's output quoted in the message of a failed start. */
    static final int FAILURE_BYTES = 64 << 10;
    /** The most of a setup's output reported as build output once it has ended. */
    static final int BUILD_BYTES = 256 << 10;

    private OutputCaps() {
    }

    /** The marker put after a cut line. */
    static String marker(long cutBytes) {
        return "... (" + cutBytes + " bytes cut)";
    }

    /** The line itself when it is short enough, else its first {@link #LINE_BYTES} bytes and a marker. */
    static String cutLine(String line) {
        return utf8Length(line) <= LINE_BYTES + MARKER_BYTES ? line : cutText(line, LINE_BYTES);
    }

    /**
     * The last {@code n} lines, each cut by {@link #cutLine}, and of those only as many of the last
     * as fit in {@code maxBytes} (each line counted with its newline).
     */
    static List<String> lastLines(List<String> lines, int n, int maxBytes) {
        Deque<String> kept = new ArrayDeque<>();
        long used = 0;
        for (int i = lines.size() - 1; i >= 0 && kept.size() < n; i--) {
            String line = cutLine(lines.get(i));
            long size = utf8Length(line) + 1;
            if (used + size > maxBytes) {
                break;
            }
            used += size;
            kept.addFirst(line);
        }
        return List.copyOf(new ArrayList<>(kept));
    }

    /** The text, cut after {@code maxBytes} bytes (at a character boundary) with a marker. */
    static String cutText(String text, int maxBytes) {
        long total = utf8Length(text);
        if (total <= maxBytes) {
            return text;
        }
        int bytes = 0;
        int i = 0;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            int size = utf8Length(cp);
            if (bytes + size > maxBytes) {
                break;
            }
            bytes += size;
            i += Character.charCount(cp);
        }
        return text.substring(0, i) + marker(total - bytes);
    }

    /** The UTF-8 length of a string, without encoding it. */
    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            n += utf8Length(cp);
            i += Character.charCount(cp);
        }
        return n;
    }

    private static int utf8Length(int cp) {
        return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }
}
