package dev.berth.api;

/** A backend could not start, stop, list or reach an instance; the message names which. */
public class BackendException extends BerthException {
    private static final long serialVersionUID = 1L;

    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
