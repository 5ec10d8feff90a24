package dev.berth.core.internal.manifest;

import dev.berth.api.InvalidSpecException;

/**
 * An {@link InvalidSpecException} taken apart while it travels up to the code that knows the
 * file: the field (relative to the app), value, allowed text, the app context and the line.
 * Internal to the manifest code; never escapes it.
 */
final class Located extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final String field;
    final transient Object value;
    final String allowed;
    final String where;
    final int line;

    Located(String field, Object value, String allowed, String where, int line, InvalidSpecException cause) {
        super(field, cause, false, cause == null);
        this.field = field;
        this.value = value;
        this.allowed = allowed;
        this.where = where;
        this.line = line;
    }

    /** The rejected value of {@code e}, or null when it said "nothing". */
    static Object valueOf(InvalidSpecException e) {
        boolean nothing = "null".equals(e.value()) && e.getMessage().contains(e.field() + ": nothing is not allowed");
        return nothing ? null : e.value();
    }

    /** An app name the API refused ({@code e}), shown cut as {@link Where#shortKey} does. */
    static Located badName(String name, InvalidSpecException e, int line) {
        String shown = Where.shortKey(name);
        return new Located(e.field(), shown, e.allowed(), "app '" + shown + "'", line, e);
    }

    /** The same error with the field renamed (Mako's names). */
    Located withField(String newField) {
        return new Located(newField, value, allowed, where, line, (InvalidSpecException) getCause());
    }

    /** The error as users see it: {@code origin line N: app 'x': field: 'value' is not allowed; ...}. */
    InvalidSpecException toException(String origin) {
        InvalidSpecException e = new InvalidSpecException(Where.shortField(field), value, allowed);
        if (where != null) {
            e = e.in(where);
        }
        e = Where.locate(e, origin, line);
        // errors found by the decoder itself (a wrong shape) have no InvalidSpecException behind them
        e.setStackTrace(getCause() != null ? getCause().getStackTrace() : getStackTrace());
        return e;
    }
}
