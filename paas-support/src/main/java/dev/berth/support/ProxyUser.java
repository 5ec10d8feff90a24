// The account an owned proxy's workers run as when the platform runs as root: looked up, checked, and what it may reach.
package dev.berth.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The user (and its primary group) whose uid and gid a proxy's workers take when the proxy's master
 * runs as root (nginx's {@code user} directive, haproxy's {@code user} and {@code group}). The
 * master keeps root to bind ports, open the logs, reload and read certificate keys; the workers,
 * which parse every request, do not. Immutable and thread-safe.
 *
 * @param name  the user's name, as in {@code /etc/passwd}
 * @param uid   its uid
 * @param group its primary group's name, as in {@code /etc/group}
 * @param gid   its primary group's gid
 */
public record ProxyUser(String name, int uid, String group, int gid) {
    /** The default: Debian's account for web servers (uid 33), which no app should run as. */
    public static final String DEFAULT = "www-data";
    /** The system's user database. */
    public static final Path PASSWD = Path.of("/etc/passwd");
    /** The system's group database. */
    public static final Path GROUP = Path.of("/etc/group");
    /** What a user or group name may hold (it is written into the configuration as is). */
    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_.-]{0,31}");

    /** Checks that the names are there. */
    public ProxyUser {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(group, "group");
    }

    /**
     * Checks the syntax of a user name given to option {@code option}; returns it.
     *
     * @throws IllegalArgumentException naming the option, the value and what is allowed
     */
    public static String checkName(String option, String name) {
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
    public static ProxyUser lookup(String option, String name, Path passwd, Path groupFile) {
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

    /** Whether this JVM runs as root: only then can a proxy's workers be switched to another user. */
    public static boolean runningAsRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /**
     * Whether this user may search every directory from the root down to {@code dir} (by the
     * owner, group or others' x bit; supplementary groups and ACLs are not considered, so the answer
     * errs on "no").
     */
    public boolean canReach(Path dir) {
        if (uid == 0) {
            return true;
        }
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            return false;
        }
        for (Path p = real; p != null; p = p.getParent()) {
            try {
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
                int mode = (Integer) a.get("mode");
                int bit = (Integer) a.get("uid") == uid ? 0100 : (Integer) a.get("gid") == gid ? 0010 : 0001;
                if ((mode & bit) == 0) {
                    return false;
                }
            } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
                return false;
            }
        }
        return true;
    }

    private static String[] entry(Path file, String name) {
        for (String line : lines(file)) {
            if (line.startsWith(name + ":")) {
                return line.split(":", -1);
            }
        }
        return null;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
