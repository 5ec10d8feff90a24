// The root path under which controllers share state: checked before it reaches ZooKeeper.
package dev.berth.state.zookeeper;

import java.util.regex.Pattern;

/** A root path such as {@code /berth/prod}: absolute, segments of {@code A-Z a-z 0-9 . _ -}, no trailing slash. */
public final class ZkRoot {
    private static final Pattern ROOT = Pattern.compile("(/[A-Za-z0-9_][A-Za-z0-9._-]{0,99}){1,8}");

    private ZkRoot() {
    }

    /** {@code root} when it is allowed; else an {@link IllegalArgumentException} saying what is. */
    public static String check(String root) {
        if (root == null || !ROOT.matcher(root).matches() || root.contains("/..") || root.contains("/./")) {
            throw new IllegalArgumentException("ZooKeeper root '" + root + "' is not allowed: an absolute path of 1-8 "
                    + "segments of A-Z a-z 0-9 . _ - (not starting with . or -), such as /berth/prod");
        }
        return root;
    }
}
