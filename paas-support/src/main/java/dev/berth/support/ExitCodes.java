// How an exit status reads to a person: the code, and the signal a code over 128 most likely stands for.
package dev.berth.support;

/**
 * Describes an exit status the way a shell or the JDK reports it: a process killed by signal
 * {@code n} is seen as {@code 128+n}, so such a code is shown with the signal it most likely was
 * ({@code exited with 137 (128+9: most likely killed by signal 9 (SIGKILL))}). The same words on
 * every backend. Stateless.
 */
public final class ExitCodes {
    private ExitCodes() {
    }

    /** {@code exited with CODE}, and for 129-192 the signal it most likely stands for. */
    public static String describe(int code) {
        if (code > 128 && code < 128 + 65) {
            int signal = code - 128;
            return "exited with " + code + " (128+" + signal + ": most likely killed by signal " + signal
                    + signalName(signal) + ")";
        }
        return "exited with " + code;
    }

    /** The usual name of a signal, as {@code " (SIGKILL)"}, or empty for one without a well-known name. */
    public static String signalName(int signal) {
        return switch (signal) {
            case 1 -> " (SIGHUP)";
            case 2 -> " (SIGINT)";
            case 3 -> " (SIGQUIT)";
            case 6 -> " (SIGABRT)";
            case 9 -> " (SIGKILL)";
            case 11 -> " (SIGSEGV)";
            case 13 -> " (SIGPIPE)";
            case 15 -> " (SIGTERM)";
            default -> "";
        };
    }
}
