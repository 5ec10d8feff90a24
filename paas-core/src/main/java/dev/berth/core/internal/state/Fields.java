package dev.berth.core.internal.state;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One JSON object of a state file, read strictly: every getter wants the exact JSON type (a
 * number is never read from a string, a boolean never from {@code "yes"} or {@code 0}) and names
 * the field's full path ({@code instances[0].release}) and its value when it is missing or wrong.
 * Immutable.
 */
final class Fields {
    /** The earliest and latest instants a state file may hold: far-off ones would overflow the loop's arithmetic. */
    static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
    static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    /** A field that is missing, of the wrong type or out of range; the message names it. */
    static final class Bad extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Bad(String message) {
            super(message);
        }
    }

    private final JsonNode node;
    private final String path;

    private Fields(JsonNode node, String path) {
        this.node = node;
        this.path = path;
    }

    /** The top-level object of a file. */
    static Fields root(JsonNode node) {
        return new Fields(node, "");
    }

    /** The full path of {@code field} in this object, for messages. */
    String name(String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    /** The raw node of {@code field}, or null when it is absent or JSON null. */
    JsonNode raw(String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }

    /** A required text field. */
    String text(String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw bad(field, v, "must be text");
        }
        return v.textValue();
    }

    /** An optional text field: {@code otherwise} when absent or null. */
    String optText(String field, String otherwise) {
        return raw(field) == null ? otherwise : text(field);
    }

    /** A required name of the given kind. */
    String id(String field, StateIds kind) {
        String s = text(field);
        if (!kind.matches(s)) {
            throw bad(field, node.get(field), "must be " + kind.allowed());
        }
        return s;
    }

    /** A required whole number from {@code min} to {@code max}, written as a JSON integer. */
    int integer(String field, int min, int max) {
        JsonNode v = node.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
            throw bad(field, v, "must be a whole number from " + min + " to " + max);
        }
        return v.intValue();
    }

    /** An optional boolean: {@code otherwise} when absent; {@code true} or {@code false} only. */
    boolean optBoolean(String field, boolean otherwise) {
        JsonNode v = node.get(field);
        if (v == null) {
            return otherwise;
        }
        if (!v.isBoolean()) {
            throw bad(field, v, "must be true or false");
        }
        return v.booleanValue();
    }

    /** A required ISO-8601 instant from 1970 to 9999. */
    Instant instant(String field) {
        JsonNode v = node.get(field);
        String allowed = "must be an ISO-8601 instant such as 2026-01-31T12:00:00Z, from " + EARLIEST + " to " + LATEST;
        if (v == null || !v.isTextual()) {
            throw bad(field, v, allowed);
        }
        try {
            Instant at = Instant.parse(v.textValue());
            if (at.isBefore(EARLIEST) || at.isAfter(LATEST)) {
                throw bad(field, v, allowed);
            }
            return at;
        } catch (DateTimeException e) {
            throw bad(field, v, allowed);
        }
    }

    /** An optional instant: null when absent or null. */
    Instant optInstant(String field) {
        return raw(field) == null ? null : instant(field);
    }

    /** A required constant of {@code type}, by its exact name. */
    <E extends Enum<E>> E constant(String field, Class<E> type) {
        String s = text(field);
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(s)) {
                return e;
            }
        }
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add(e.name());
        }
        throw bad(field, node.get(field), "must be one of " + String.join(", ", names));
    }

    /** A required object field. */
    Fields object(String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isObject()) {
            throw bad(field, v, "must be an object");
        }
        return new Fields(v, name(field));
    }

    /** An optional object field: null when absent or null. */
    Fields optObject(String field) {
        return raw(field) == null ? null : object(field);
    }

    /** The objects of a list field; an absent or null list is empty when {@code optional}. */
    List<Fields> objects(String field, boolean optional) {
        JsonNode v = node.get(field);
        if ((v == null || v.isNull()) && optional) {
            return List.of();
        }
        if (v == null || !v.isArray()) {
            throw bad(field, v, "must be a list");
        }
        List<Fields> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            String at = name(field) + "[" + i + "]";
            if (!e.isObject()) {
                throw new Bad("field '" + at + "' is " + shown(e) + ": must be an object");
            }
            out.add(new Fields(e, at));
        }
        return out;
    }

    /** A required list of names of the given kind. */
    List<String> ids(String field, StateIds kind) {
        JsonNode v = node.get(field);
        if (v == null || !v.isArray()) {
            throw bad(field, v, "must be a list");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isTextual() || !kind.matches(e.textValue())) {
                throw new Bad("field '" + name(field) + "[" + i + "]' is " + shown(e) + ": must be " + kind.allowed());
            }
            out.add(e.textValue());
        }
        return out;
    }

    /** An error naming {@code field} of this object, its value and what is allowed. */
    Bad bad(String field, JsonNode value, String allowed) {
        return new Bad("field '" + name(field) + "' is " + shown(value) + ": " + allowed);
    }

    /**
     * A scalar as JSON (so control characters are escaped), cut to a readable length; a list or
     * an object only by its kind, since it may hold a spec and so an env secret.
     */
    private static String shown(JsonNode value) {
        if (value == null) {
            return "missing";
        }
        if (value.isContainerNode()) {
            return value.isArray() ? "a list" : "an object";
        }
        String s = value.toString();
        return s.length() > 100 ? s.substring(0, 97) + "..." : s;
    }
}
