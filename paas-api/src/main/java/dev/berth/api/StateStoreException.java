package dev.berth.api;

/**
 * The state store cannot be read or written: a corrupt or unreadable state file, a full disk.
 * Never answered by silently starting from an empty state; the message names the file.
 */
public class StateStoreException extends BerthException {
    private static final long serialVersionUID = 1L;

    public StateStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
