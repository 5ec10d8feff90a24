package dev.berth.core.internal.git;

/** Text from the network or a repository, made safe for one log or message line. */
final class LogSafe {
    private LogSafe() {
    }

    /** Control characters replaced by {@code ?}, cut to 100 characters. */
    static String printable(String s) {
        return printable(s, 100);
    }

    /** Control characters replaced by {@code ?}, cut to {@code max} characters. */
    static String printable(String s, int max) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }
}
