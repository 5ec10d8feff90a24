// The byte caps on every piece of an instance's or a build's output that a backend hands back, and the cuts that apply them.
package dev.berth.support;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The caps on output handed back to the platform, in bytes as well as lines, and the helpers that
 * apply them. A line longer than {@link #LINE_BYTES} keeps its first {@link #LINE_BYTES} bytes (cut
 * at a character boundary) followed by {@code "... (N bytes cut)"}; {@link LineSplitter} cuts a
 * stream the same way. Stateless and thread-safe.
 */
public final class OutputCaps {
    /** The bytes kept of one line. */
    public static final int LINE_BYTES = 4096;
    /** Room for a marker after a cut line: {@link #cutLine} does not cut a line that was cut already. */
    public static final int MARKER_BYTES = 64;
    /** The most a backend's {@code logs(id, n)} returns, newlines included. */
    public static final int ANSWER_BYTES = 1 << 20;
    /** The most of a setup's or a command's output quoted in the message of a failure. */
    public static final int FAILURE_BYTES = 64 << 10;

    private OutputCaps() {
    }

    /** The marker put after a line or text that lost {@code cutBytes} bytes. */
    public static String marker(long cutBytes) {
        return "... (" + cutBytes + " bytes cut)";
    }

    /** The line itself when it is short enough, else its first {@link #LINE_BYTES} bytes and a marker. */
    public static String cutLine(String line) {
        return utf8Length(line) <= LINE_BYTES + MARKER_BYTES ? line : cutText(line, LINE_BYTES);
    }

    /**
     * The last {@code n} lines, each cut by {@link #cutLine}, and of those only as many of the last
     * as fit in {@code maxBytes} (each line counted with its newline).
     */
    public static List<String> lastLines(List<String> lines, int n, int maxBytes) {
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
    public static String cutText(String text, int maxBytes) {
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
    public static long utf8Length(String s) {
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
