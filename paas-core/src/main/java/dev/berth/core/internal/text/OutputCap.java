package dev.berth.core.internal.text;

import dev.berth.api.BackendException;
import dev.berth.api.BerthException;
import dev.berth.api.ExitInfo;

/**
 * Caps text that comes from a backend (build and setup output, failure reasons) in bytes before
 * it becomes an event or a log line: at most {@value #LINE_BYTES} bytes per line and
 * {@value #TEXT_BYTES} bytes per text, in UTF-8, each cut marked {@code "... (N bytes cut)"}. A
 * setup that prints one 20 MB line and fails five times then costs a few KiB per event, not
 * 100 MB. Stateless and thread-safe.
 */
public final class OutputCap {
    /** The most bytes kept of one line. */
    public static final int LINE_BYTES = 4096;
    /** The most bytes kept of a text of several lines (a failure reason). */
    public static final int TEXT_BYTES = 65_536;
    /** Room for one {@code "... (N bytes cut)"} marker. */
    private static final int MARKER_BYTES = 40;

    private OutputCap() {
    }

    /** {@code line} cut to {@link #LINE_BYTES} bytes, with a marker naming what was cut; null stays null. */
    public static String line(String line) {
        if (line == null) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        cut(line, 0, line.length(), out);
        return out.toString();
    }

    /**
     * {@code text} with every line cut to {@link #LINE_BYTES} bytes and the whole to at most
     * {@link #TEXT_BYTES} bytes (markers included), each cut marked; null stays null.
     */
    public static String text(String text) {
        if (text == null || (text.length() <= LINE_BYTES / 3 && text.indexOf('\n') < 0)) {
            return text;
        }
        StringBuilder out = new StringBuilder();
        long used = 0;
        boolean cutAny = false;
        int start = 0;
        while (true) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? text.length() : nl;
            long next = utf8Length(text, start, Math.min(end, start + LINE_BYTES)) + MARKER_BYTES + 1;
            if (used + next > TEXT_BYTES - MARKER_BYTES) {
                return out.append("... (").append(utf8Length(text, start, text.length())).append(" bytes cut)").toString();
            }
            cutAny |= end - start > LINE_BYTES / 4 && utf8Length(text, start, end) > LINE_BYTES;
            used += cut(text, start, end, out);
            if (nl < 0) {
                return cutAny ? out.toString() : text;
            }
            out.append('\n');
            used++;
            start = nl + 1;
        }
    }

    /** {@code exit} with its reason capped as {@link #text}. */
    public static ExitInfo exit(ExitInfo exit) {
        String reason = text(exit.reason());
        return reason.equals(exit.reason()) ? exit : new ExitInfo(exit.code(), exit.at(), reason);
    }

    /**
     * {@code e} itself when its message is within {@link #text}'s cap; else an exception of the same
     * kind ({@link BackendException}, {@link BerthException}) with the capped message and the same
     * stack trace. The cause is kept only when its own text is short.
     */
    public static RuntimeException exception(RuntimeException e) {
        String message = e.getMessage();
        String capped = text(message);
        if (message == null || capped.equals(message)) {
            return e;
        }
        Throwable cause = e.getCause() != null && String.valueOf(e.getCause()).length() <= LINE_BYTES ? e.getCause() : null;
        RuntimeException out = e instanceof BackendException ? new BackendException(capped, cause)
                : new BerthException(capped, cause);
        out.setStackTrace(e.getStackTrace());
        return out;
    }

    /**
     * Appends {@code s[from, to)} to {@code out}, cut at {@link #LINE_BYTES} bytes (on a code point)
     * and marked; returns the bytes appended.
     */
    private static long cut(String s, int from, int to, StringBuilder out) {
        long bytes = 0;
        int i = from;
        while (i < to) {
            int cp = s.codePointAt(i);
            int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + n > LINE_BYTES) {
                break;
            }
            bytes += n;
            i += Character.charCount(cp);
        }
        out.append(s, from, i);
        if (i < to) {
            String marker = "... (" + utf8Length(s, i, to) + " bytes cut)";
            out.append(marker);
            bytes += marker.length();
        }
        return bytes;
    }

    private static long utf8Length(CharSequence s, int from, int to) {
        long bytes = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return bytes;
    }
}
