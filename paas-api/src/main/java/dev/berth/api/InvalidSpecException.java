package dev.berth.api;

import java.util.Objects;

/**
 * Bad input: a field of a spec, manifest or option holds a value that is not allowed. Thrown
 * before anything is changed. The message names the field, the bad value and what is allowed,
 * prefixed by where it came from (an app, a file and line) when that is known.
 */
public class InvalidSpecException extends BerthException {
    private static final long serialVersionUID = 1L;

    private final String context;
    private final String field;
    private final String value;
    private final boolean nothing;
    private final String allowed;

    public InvalidSpecException(String field, Object value, String allowed) {
        this(null, field, value, allowed);
    }

    private InvalidSpecException(String context, String field, Object value, String allowed) {
        super(format(context, field, value, allowed));
        this.context = context;
        this.field = Objects.requireNonNull(field, "field");
        this.value = String.valueOf(value);
        this.nothing = value == null;
        this.allowed = Objects.requireNonNull(allowed, "allowed");
    }

    private static String format(String context, String field, Object value, String allowed) {
        String shown = value == null ? "nothing" : "'" + abbreviate(String.valueOf(value)) + "'";
        return (context == null ? "" : context + ": ") + field + ": " + shown + " is not allowed; " + allowed;
    }

    private static String abbreviate(String s) {
        String oneLine = s.replace("\n", "\\n").replace("\r", "\\r");
        return oneLine.length() > 120 ? oneLine.substring(0, 117) + "..." : oneLine;
    }

    /** The same error, with its origin in front (e.g. {@code "app 'web'"} or {@code "apps/web.yml line 4"}). */
    public InvalidSpecException in(String where) {
        String combined = context == null ? where : where + ": " + context;
        InvalidSpecException e = new InvalidSpecException(combined, field, nothing ? null : value, allowed);
        e.setStackTrace(getStackTrace());
        return e;
    }

    /** The same error with its field nested under {@code parent} (e.g. {@code routing.domains[0]}). */
    public InvalidSpecException under(String parent) {
        InvalidSpecException e = new InvalidSpecException(context, parent + "." + field, nothing ? null : value, allowed);
        e.setStackTrace(getStackTrace());
        return e;
    }

    /** The field's path, such as {@code healthCheck.path} or {@code env.PORT}. */
    public String field() {
        return field;
    }

    /** The rejected value as text. */
    public String value() {
        return value;
    }

    /** What would have been accepted. */
    public String allowed() {
        return allowed;
    }
}
