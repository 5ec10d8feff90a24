// An API error with its HTTP status and the JSON fields that say what was wrong.
package dev.berth.server;

/**
 * An error the API answers as {@code {"error": ..., "field": ..., "value": ..., "allowed": ...}}
 * with {@link #status()}; the fields after {@code error} may be null.
 */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String field;
    private final String value;
    private final String allowed;

    ApiException(int status, String error, String field, String value, String allowed) {
        super(error);
        this.status = status;
        this.field = field;
        this.value = value;
        this.allowed = allowed;
    }

    ApiException(int status, String error) {
        this(status, error, null, null, null);
    }

    int status() {
        return status;
    }

    String field() {
        return field;
    }

    String value() {
        return value;
    }

    String allowed() {
        return allowed;
    }
}
