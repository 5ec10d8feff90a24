// An app's user resolved to numeric ids, and the setpriv prefix that runs a command as them.
package dev.berth.backend.process;

import dev.berth.api.BackendException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * An app's {@code user}, resolved to numeric ids through {@code /etc/passwd} and {@code /etc/group},
 * and the {@code setpriv} prefix that runs a command as them. Switching users needs the platform
 * to run as root; a name that does not exist, or a switch without root, is a clear error before
 * anything starts. Immutable.
 *
 * @param uid the user id
 * @param gid the group id: the named group, or the user's primary group
 */
record RunAs(long uid, long gid) {
    static final String SETPRIV = "/usr/bin/setpriv";

    /** The ids of {@code user} ({@code name}, {@code uid}, {@code name:group} or {@code uid:gid}); empty for the default. */
    static Optional<RunAs> resolve(String user, String what) {
        if (user.isEmpty()) {
            return Optional.empty();
        }
        if (!isRoot()) {
            throw new BackendException(what + ": user '" + user + "' needs the platform to run as root "
                    + "(the process backend switches users with setpriv)");
        }
        if (!new File(SETPRIV).canExecute()) {
            throw new BackendException(what + ": " + SETPRIV + " is missing: install Debian's util-linux package");
        }
        String[] parts = user.split(":", 2);
        String[] passwd = entry(Path.of("/etc/passwd"), parts[0]);
        long uid;
        if (isNumber(parts[0])) {
            uid = Long.parseLong(parts[0]);
        } else if (passwd != null) {
            uid = Long.parseLong(passwd[2]);
        } else {
            throw new BackendException(what + ": user '" + parts[0] + "' does not exist on this host (/etc/passwd)");
        }
        long gid;
        if (parts.length == 2) {
            if (isNumber(parts[1])) {
                gid = Long.parseLong(parts[1]);
            } else {
                String[] group = entry(Path.of("/etc/group"), parts[1]);
                if (group == null) {
                    throw new BackendException(what + ": group '" + parts[1] + "' does not exist on this host (/etc/group)");
                }
                gid = Long.parseLong(group[2]);
            }
        } else {
            gid = passwd != null ? Long.parseLong(passwd[3]) : uid;
        }
        return Optional.of(new RunAs(uid, gid));
    }

    /** Parses {@code uid:gid} as {@link #toString()} writes it. */
    static RunAs parse(String text) {
        String[] parts = text.split(":", 2);
        return new RunAs(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
    }

    /** The argv that runs the rest of a command line as these ids, without supplementary groups. */
    List<String> prefix() {
        return List.of(SETPRIV, "--reuid=" + uid, "--regid=" + gid, "--clear-groups");
    }

    @Override
    public String toString() {
        return uid + ":" + gid;
    }

    private static boolean isNumber(String s) {
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    /** The line of a passwd/group file whose first field (or numeric third field) is {@code key}, split. */
    private static String[] entry(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.split(":", -1);
                if (f.length >= 4 && (f[0].equals(key) || (isNumber(key) && f[2].equals(key)))) {
                    return f;
                }
            }
            return null;
        } catch (IOException e) {
            throw new BackendException("cannot read " + file + " to resolve user '" + key + "': " + e, e);
        }
    }

    private static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
