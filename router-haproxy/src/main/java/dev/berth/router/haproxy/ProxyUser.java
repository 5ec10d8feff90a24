// The account an owned haproxy's workers run as when the platform runs as root: looked up and checked.
package dev.berth.router.haproxy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The user (and its primary group) whose uid and gid haproxy's workers take when haproxy's master
 * runs as root: haproxy's {@code user} and {@code group} in {@code global}. The master keeps root to
 * bind ports, re-execute itself on reload and read certificate files; the workers, which parse every
 * request, do not. Immutable.
 *
 * @param name  the user's name, as in {@code /etc/passwd}
 * @param uid   its uid
 * @param group its primary group's name, as in {@code /etc/group}
 * @param gid   its primary group's gid
 */
record ProxyUser(String name, int uid, String group, int gid) {
    /** The default: Debian's account for web servers (uid 33), which no app should run as. */
    static final String DEFAULT = "www-data";
    static final Path PASSWD = Path.of("/etc/passwd");
    static final Path GROUP = Path.of("/etc/group");
    /** What a user or group name may hold (it is written into the configuration as is). */
    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_.-]{0,31}");

    ProxyUser {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(group, "group");
    }

    /**
     * Checks the syntax of a user name given to option {@code option}; returns it.
     *
     * @throws IllegalArgumentException naming the option, the value and what is allowed
     */
    static String checkName(String option, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(option + ": '" + name + "' is not allowed; must be the name of an "
                    + "existing user (1-32 of a-z 0-9 _ . -, starting with a letter or _), e.g. www-data or nobody");
        }
        return name;
    }

    /**
     * The user {@code name} and its primary group from {@code passwd} and {@code groupFile}.
     *
     * @throws IllegalArgumentException naming {@code option} when there is no such user or group
     */
    static ProxyUser lookup(String option, String name, Path passwd, Path groupFile) {
        checkName(option, name);
        String[] user = entry(passwd, name);
        if (user == null || user.length < 4) {
            throw new IllegalArgumentException(option + ": '" + name + "' is not allowed; there is no such user in "
                    + passwd + "; must be an existing unprivileged user for the proxy's workers (e.g. www-data or "
                    + "nobody; create one with useradd --system), or root to keep them root");
        }
        int uid = Integer.parseInt(user[2]);
        int gid = Integer.parseInt(user[3]);
        String groupName = null;
        for (String line : lines(groupFile)) {
            String[] g = line.split(":", -1);
            if (g.length >= 3 && g[2].equals(Integer.toString(gid))) {
                groupName = g[0];
                break;
            }
        }
        if (groupName == null || !NAME.matcher(groupName).matches()) {
            throw new IllegalArgumentException(option + ": '" + name + "' is not allowed; its primary group " + gid
                    + " has no plain name in " + groupFile + "; must be a user whose primary group exists");
        }
        return new ProxyUser(name, uid, groupName, gid);
    }

    /** Whether this JVM runs as root: only then does a {@code user} directive apply. */
    static boolean runningAsRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static String[] entry(Path file, String name) {
        for (String line : lines(file)) {
            if (line.startsWith(name + ":")) {
                return line.split(":", -1);
            }
        }
        return null;
    }

    private static java.util.List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
