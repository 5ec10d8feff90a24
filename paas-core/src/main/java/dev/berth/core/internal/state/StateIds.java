package dev.berth.core.internal.state;

import java.util.regex.Pattern;

/**
 * The names a state file may hold, checked as strictly as a spec checks them: an id read back
 * from disk becomes a path segment, a label or a process argument again, so {@code ../../tmp/x}
 * must never load. Stateless.
 */
enum StateIds {
    /** An app name: a DNS label, as {@code AppSpec} requires. */
    APP("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", "an app name: 1-63 of a-z 0-9 '-', not starting or ending with '-'"),
    /** An instance id ({@code web-3}): a path segment, as the backends require. */
    INSTANCE("[A-Za-z0-9][A-Za-z0-9._-]{0,127}", "an instance id: 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit"),
    /** A release id ({@code r3-lx2k9a}): a path segment, as the backends require. */
    RELEASE("[A-Za-z0-9][A-Za-z0-9._-]{0,127}", "a release id: 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit"),
    /** A node id, as {@code NodeSpec} requires. */
    NODE("[A-Za-z0-9][A-Za-z0-9._-]{0,62}", "a node id: 1-63 of A-Z a-z 0-9 . _ -, starting with a letter or digit"),
    /** A backend's handle (a pid, a container id, {@code pid:start}): printable ASCII, no spaces. */
    HANDLE("[!-~]{1,256}", "a handle: 1-256 printable ASCII characters without spaces");

    private final Pattern pattern;
    private final String allowed;

    StateIds(String regex, String allowed) {
        this.pattern = Pattern.compile(regex);
        this.allowed = allowed;
    }

    /** Whether {@code value} is such a name. */
    boolean matches(String value) {
        return pattern.matcher(value).matches();
    }

    /** What is allowed, for messages. */
    String allowed() {
        return allowed;
    }
}
