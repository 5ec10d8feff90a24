package dev.berth.api;

/**
 * The state store cannot be read or written: a corrupt or unreadable state file, a full disk.
 * Never answered by silently starting from an empty state; the message names the file. Thrown by
 * a command ({@code deploy}, {@code scale}, ...) whose change the platform could not save: the
 * change is in effect, and saved again with the next change; the message says so.
 */
public class StateStoreException extends BerthException {
    private static final long serialVersionUID = 1L;

    public StateStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
