package dev.berth.api;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where an app's code comes from: nothing (the command runs in its instance directory), a local
 * directory, a git repository at a commit, or a container image. Immutable.
 */
public sealed interface Source permits Source.None, Source.Directory, Source.Git, Source.Image {

    /** No code: the command runs as is, in an empty {@code work} directory of its instance (never among the backend's files). */
    static Source none() {
        return None.INSTANCE;
    }

    /** Code copied from a directory. */
    static Source directory(Path path) {
        return new Directory(path);
    }

    /** A git repository pinned at {@code commit}. */
    static Source git(String repository, String commit) {
        return new Git(repository, commit, false);
    }

    /**
     * A repository on the platform's git server that follows its deploy branch: every push to it
     * deploys; until the first push the app has no instance and its domains answer 503 "not deployed yet".
     */
    static Source gitFollowing(String repository) {
        return new Git(repository, null, true);
    }

    /** A container image (Docker backends). */
    static Source image(String image) {
        return new Image(image);
    }

    /** No code. */
    enum None implements Source {
        INSTANCE
    }

    /**
     * A local directory, copied as a release.
     *
     * @param path an absolute path
     */
    record Directory(Path path) implements Source {
        public Directory {
            Checks.notNull("source.directory", path);
            Checks.noControl("source.directory", path.toString());
            if (!path.isAbsolute()) {
                throw new InvalidSpecException("source.directory", path, "must be an absolute path");
            }
            path = path.normalize();
        }
    }

    /**
     * A git repository (the app's repository on the platform's git server when it is the app's
     * name, or a URL), pinned at a commit or following the platform's deploy branch.
     *
     * @param repository a repository name or URL, without spaces or control characters
     * @param commit     a commit id of 7-40 lowercase hex digits; when {@code follow}, the head of
     *                   the deploy branch this release runs, or {@code null} before the first push
     * @param follow     whether pushes to the deploy branch deploy (Mako's apps without {@code commit})
     */
    record Git(String repository, String commit, boolean follow) implements Source {
        private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{7,40}");
        private static final Pattern REPO = Pattern.compile("[A-Za-z0-9._~:/@+%-]{1,512}");

        public Git {
            if (repository == null || !REPO.matcher(repository).matches()) {
                throw new InvalidSpecException("source.git.repository", repository,
                        "must be a repository name or URL: 1-512 of A-Z a-z 0-9 . _ ~ : / @ + % -");
            }
            if ((commit != null || !follow) && (commit == null || !COMMIT.matcher(commit).matches())) {
                throw new InvalidSpecException("source.git.commit", commit, "must be a commit id of 7-40 lowercase hex digits");
            }
        }

        /** A pinned commit. */
        public Git(String repository, String commit) {
            this(repository, commit, false);
        }

        /** Whether it follows a repository nothing was pushed to yet: the app then has no code and runs no instance. */
        public boolean awaitingPush() {
            return follow && commit == null;
        }

        /** This source at {@code commit} (still following, when it follows). */
        public Git at(String commit) {
            return new Git(repository, commit, follow);
        }
    }

    /**
     * A container image reference such as {@code registry:5000/team/web:1.2}.
     *
     * @param image an image reference
     */
    record Image(String image) implements Source {
        private static final Pattern REF = Pattern.compile(
                "([a-z0-9.-]+(:[0-9]{1,5})?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*"
                        + "(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?");

        public Image {
            if (image == null || image.length() > 255 || !REF.matcher(image).matches()) {
                throw new InvalidSpecException("source.image", image, "must be an image reference such as 'team/web:1.2'");
            }
        }
    }
}
