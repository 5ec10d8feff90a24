// HTML text for the web page: every value escaped on the way in, so a name, env value or log line is never markup.
package dev.berth.server;

/**
 * A small HTML writer. {@link #text} and {@link #attr} escape what they are given ({@code & < > " '}),
 * and {@link #raw} takes markup written in this package only; a page is built by appending to one.
 */
final class Html {
    private final StringBuilder b = new StringBuilder(4096);

    /** Appends markup as it is: only literals of this package, never a value. */
    Html raw(String markup) {
        b.append(markup);
        return this;
    }

    /** Appends a value as text. */
    Html text(Object value) {
        escape(b, String.valueOf(value));
        return this;
    }

    /** Appends {@code  name="value"}, the value escaped. */
    Html attr(String name, Object value) {
        b.append(' ').append(name).append("=\"");
        escape(b, String.valueOf(value));
        b.append('"');
        return this;
    }

    /** Appends another writer's markup. */
    Html add(Html other) {
        b.append(other.b);
        return this;
    }

    /** A value escaped for text or an attribute. */
    static String escape(String value) {
        StringBuilder out = new StringBuilder(value.length() + 16);
        escape(out, value);
        return out.toString();
    }

    private static void escape(StringBuilder out, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                case '\n' -> out.append("&#10;"); // fragments travel as one SSE data line
                case '\r' -> out.append("&#13;");
                default -> out.append(c);
            }
        }
    }

    @Override
    public String toString() {
        return b.toString();
    }
}
