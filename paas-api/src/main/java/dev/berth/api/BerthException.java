package dev.berth.api;

/**
 * The root of every exception Berth throws. Unchecked; messages name the app, instance, node or
 * file concerned, and the cause is kept.
 */
public class BerthException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BerthException(String message) {
        super(message);
    }

    public BerthException(String message, Throwable cause) {
        super(message, cause);
    }
}
