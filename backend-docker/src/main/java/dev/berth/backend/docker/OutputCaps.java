// The byte caps on every piece of container and build output the Docker backend hands back.
package dev.berth.backend.docker;

/**
 * The caps on output handed back to the platform, in bytes as well as lines (the same as the
 * process and SSH backends): a line keeps its first {@link #LINE_BYTES} bytes, cut at a character
 * boundary, followed by {@code "... (N bytes cut)"}. Stateless and thread-safe.
 */
final class OutputCaps {
    /** The bytes kept of one line. */
    static final int LINE_BYTES = 4096;
    /** The most {@code logs(id, n)} returns, newlines included. */
    static final int ANSWER_BYTES = 1 << 20;
    /** The most of an image build's output reported line by line; the rest is counted. */
    static final int BUILD_BYTES = 1 << 20;
    /** The most of a build's error text quoted in a failure message. */
    static final int ERROR_BYTES = 4096;

    private OutputCaps() {
    }

    /** The marker put after a cut line. */
    static String marker(long cutBytes) {
        return "... (" + cutBytes + " bytes cut)";
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
