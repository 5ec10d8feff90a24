package dev.berth.core.internal.manifest;

import dev.berth.api.InvalidSpecException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Formats the origin of an error ({@code "apps/web.yml line 7"}) and what an error may quote of a file. Stateless. */
final class Where {
    /** The most characters of a file that an error about it quotes. */
    static final int TOKEN_MAX = 40;
    private static final Pattern NAME_LIKE = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final int PROBLEM_MAX = 300;
    private static final Pattern LONG_RUN = Pattern.compile("'[^']{" + (TOKEN_MAX + 1) + ",}'|\\S{" + (TOKEN_MAX + 1) + ",}");

    private Where() {
    }

    /** {@code origin line N}, {@code origin}, {@code line N}, or null when nothing is known. */
    static String at(String origin, int line) {
        if (origin == null) {
            return line > 0 ? "line " + line : null;
        }
        return line > 0 ? origin + " line " + line : origin;
    }

    /** {@code e} prefixed by {@link #at}, when that says anything. */
    static InvalidSpecException locate(InvalidSpecException e, String origin, int line) {
        String where = at(origin, line);
        return where == null ? e : e.in(where);
    }

    /**
     * The offending token of an unparsable text: the run of non-blank characters at the 0-based
     * {@code column} of the 1-based {@code line}, at most {@value #TOKEN_MAX} characters. Errors
     * quote this and nothing more of the file, which may not be a manifest at all.
     */
    static String token(String text, int line, int column) {
        String l = lineAt(text, line);
        if (column < 0) {
            return "";
        }
        // at the end of the line or on a blank, the offending token is the one before
        while (column > 0 && (column >= l.length() || Character.isWhitespace(l.charAt(column)))) {
            column--;
        }
        if (column >= l.length() || Character.isWhitespace(l.charAt(column))) {
            return "";
        }
        int start = column;
        while (start > 0 && column - start < TOKEN_MAX / 2 && !Character.isWhitespace(l.charAt(start - 1))) {
            start--;
        }
        int end = column;
        while (end < l.length() && end - start < TOKEN_MAX && !Character.isWhitespace(l.charAt(end))) {
            end++;
        }
        boolean cut = end < l.length() && !Character.isWhitespace(l.charAt(end));
        return l.substring(start, end) + (cut ? "..." : "");
    }

    /**
     * A key or name of a file as an error may show it: as it is when it looks like a name (1-64 of
     * A-Z a-z 0-9 . _ -), else its first 12 characters and its length, so that a line of a file
     * that is no manifest (a password hash read as a key) is not echoed.
     */
    static String shortKey(String key) {
        if (NAME_LIKE.matcher(key).matches() || key.length() <= 12) {
            return key;
        }
        return key.substring(0, 12) + "... (" + key.length() + " characters)";
    }

    /** A field path as an error shows it: cut to about 100 characters when longer than 200. */
    static String shortField(String field) {
        return field.length() <= 200 ? field : field.substring(0, 100) + "... (" + field.length() + " characters)";
    }

    /**
     * A parser's message on one line, each run of text longer than a token (quoted or not) cut
     * to {@value #TOKEN_MAX} characters, the whole to {@value #PROBLEM_MAX}.
     */
    static String problem(String message) {
        String oneLine = message.replaceAll("[\\s\\x00-\\x1f]+", " ").strip();
        String cut = LONG_RUN.matcher(oneLine).replaceAll(m -> Matcher.quoteReplacement(m.group().substring(0, TOKEN_MAX) + "..."));
        return cut.length() <= PROBLEM_MAX ? cut : cut.substring(0, PROBLEM_MAX) + "...";
    }

    /** The 1-based line {@code line} of {@code text}, trimmed; empty when out of range. */
    static String lineText(String text, int line) {
        return lineAt(text, line).strip();
    }

    private static String lineAt(String text, int line) {
        int start = 0;
        for (int n = 1; n < line; n++) {
            int nl = nextBreak(text, start);
            if (nl < 0) {
                return "";
            }
            start = nl + (text.startsWith("\r\n", nl) ? 2 : 1);
        }
        if (line < 1 || start > text.length()) {
            return "";
        }
        int end = nextBreak(text, start);
        return text.substring(start, end < 0 ? text.length() : end);
    }

    private static int nextBreak(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r') {
                return i;
            }
        }
        return -1;
    }
}
