package dev.berth.api;

/** An app, instance or node that the caller named does not exist. */
public class NotFoundException extends BerthException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(String message) {
        super(message);
    }
}
