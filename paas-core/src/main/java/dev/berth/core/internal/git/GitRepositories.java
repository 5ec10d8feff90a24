package dev.berth.core.internal.git;

import dev.berth.api.BerthException;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.NotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.AbbreviatedObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.util.FS;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apps' bare git repositories, one per app at {@code <root>/<app>.git}. A repository is
 * created by the first push to it ({@link GitServer}); an app name is checked to be a DNS label
 * before any path is built from it, so no name reaches outside the root.
 *
 * <p>Thread-safe. Reads open the repository for the call; creation is serialized.
 */
public final class GitRepositories {
    private static final Logger LOG = LoggerFactory.getLogger(GitRepositories.class);
    /** Repository names: app names, DNS labels. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{7,40}");
    private static final String SUFFIX = ".git";
    /** Branch a new repository's HEAD names until a push says otherwise. */
    static final String INITIAL_BRANCH = "main";

    private final Path root;
    private final Object createLock = new Object();

    /**
     * @param root the directory that holds the repositories; created on the first push
     */
    public GitRepositories(Path root) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    }

    /** The directory that holds the repositories. */
    public Path root() {
        return root;
    }

    /**
     * Returns {@code app} if it is a valid repository (= app) name: a DNS label, 1-63 of
     * {@code a-z 0-9 -}, not starting or ending with {@code -}.
     *
     * @throws InvalidSpecException naming the value and what is allowed
     */
    public static String checkName(String app) {
        if (app == null || !NAME.matcher(app).matches()) {
            throw new InvalidSpecException("app", app,
                    "a git repository is named after its app: a DNS label, 1-63 of a-z, 0-9 and '-', "
                            + "not starting or ending with '-'");
        }
        return app;
    }

    /** The repository directory of an app, {@code <root>/<app>.git}, whether or not it exists. */
    public Path directory(String app) {
        return root.resolve(checkName(app) + SUFFIX);
    }

    /** Whether the app has a repository (it was pushed to). */
    public boolean exists(String app) {
        return isRepository(directory(app));
    }

    /** The apps that have a repository, in name order. */
    public List<String> list() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<String> apps = new ArrayList<>();
        try (Stream<Path> entries = Files.list(root)) {
            entries.forEach(p -> {
                String file = p.getFileName().toString();
                if (file.endsWith(SUFFIX)) {
                    String app = file.substring(0, file.length() - SUFFIX.length());
                    if (NAME.matcher(app).matches() && isRepository(p)) {
                        apps.add(app);
                    }
                }
            });
        } catch (IOException e) {
            throw new BerthException("cannot list the git repositories in " + root, e);
        }
        apps.sort(null);
        return List.copyOf(apps);
    }

    /**
     * The commit a branch, tag or full ref name points to: {@code main} is looked up as
     * {@code refs/heads/main}, then {@code refs/tags/main}; {@code refs/...} and {@code HEAD} as given.
     *
     * @return the commit id (40 hex digits), or empty if there is no such ref or it names no commit
     * @throws NotFoundException    if the app has no repository
     * @throws InvalidSpecException if {@code ref} is not a valid ref name
     */
    public Optional<String> resolve(String app, String ref) {
        List<String> candidates = refCandidates(app, ref);
        try (Repository repo = open(app); RevWalk walk = new RevWalk(repo)) {
            for (String name : candidates) {
                Ref found = repo.exactRef(name);
                if (found != null && found.getObjectId() != null) {
                    try {
                        return Optional.of(walk.parseCommit(found.getObjectId()).name());
                    } catch (IncorrectObjectTypeException | MissingObjectException e) {
                        return Optional.empty();
                    }
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new BerthException("app '" + app + "': cannot read ref '" + ref + "' of " + directory(app), e);
        }
    }

    private static List<String> refCandidates(String app, String ref) {
        if (ref != null) {
            if (ref.equals(Constants.HEAD)) {
                return List.of(Constants.HEAD);
            }
            if (ref.startsWith(Constants.R_REFS) && Repository.isValidRefName(ref)) {
                return List.of(ref);
            }
            if (!ref.startsWith(Constants.R_REFS) && Repository.isValidRefName(Constants.R_HEADS + ref)) {
                return List.of(Constants.R_HEADS + ref, Constants.R_TAGS + ref);
            }
        }
        throw new InvalidSpecException("ref", ref, "must be a branch, tag or full ref name such as 'main' or "
                + "'refs/heads/main'").in("app '" + app + "'");
    }

    /**
     * The full id of a commit given by its id or an unambiguous prefix (7-40 lowercase hex digits).
     *
     * @return the commit id, or empty if the repository holds no such commit
     * @throws NotFoundException    if the app has no repository
     * @throws InvalidSpecException if {@code commit} is not 7-40 hex digits or the prefix is ambiguous
     */
    public Optional<String> findCommit(String app, String commit) {
        checkName(app);
        if (commit == null || !COMMIT.matcher(commit).matches()) {
            throw new InvalidSpecException("commit", commit, "must be a commit id of 7-40 lowercase hex digits")
                    .in("app '" + app + "'");
        }
        try (Repository repo = open(app); ObjectReader reader = repo.newObjectReader();
                RevWalk walk = new RevWalk(reader)) {
            Collection<ObjectId> ids = commit.length() == Constants.OBJECT_ID_STRING_LENGTH
                    ? List.of(ObjectId.fromString(commit))
                    : reader.resolve(AbbreviatedObjectId.fromString(commit));
            List<String> commits = new ArrayList<>();
            for (ObjectId id : ids) {
                try {
                    commits.add(walk.parseCommit(id).name());
                } catch (MissingObjectException | IncorrectObjectTypeException e) {
                    // not a commit of this repository
                }
            }
            if (commits.size() > 1) {
                throw new InvalidSpecException("commit", commit, "is ambiguous: it starts " + commits.size()
                        + " commits; give more digits").in("app '" + app + "'");
            }
            return commits.stream().findFirst();
        } catch (IOException e) {
            throw new BerthException("app '" + app + "': cannot look up commit " + commit + " in " + directory(app), e);
        }
    }

    /** Whether the app's repository holds that commit (id or unambiguous prefix); false if it has no repository. */
    public boolean hasCommit(String app, String commit) {
        return exists(app) && findCommit(app, commit).isPresent();
    }

    /** Bytes used by the app's repository ({@link DiskUsage#of}); 0 if it has none. */
    public long diskUsage(String app) {
        Path dir = directory(app);
        return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) ? DiskUsage.of(dir) : 0L;
    }

    /** Opens an existing repository; the caller closes it. */
    Repository open(String app) {
        Path dir = directory(app);
        if (!isRepository(dir)) {
            throw new NotFoundException("app '" + app + "' has no git repository (" + dir + "): push to it first");
        }
        try {
            return new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).setBare().build();
        } catch (IOException e) {
            throw new BerthException("app '" + app + "': cannot open git repository " + dir, e);
        }
    }

    /**
     * Opens the app's repository, creating an empty bare one first if it has none. The new
     * repository is initialized in a temporary sibling and renamed into place, so a half-made
     * repository is never visible. Only the git server calls this, for an authenticated push.
     */
    Repository openOrCreate(String app) {
        Path dir = directory(app);
        synchronized (createLock) {
            if (!isRepository(dir)) {
                create(app, dir);
            }
        }
        return open(app);
    }

    private void create(String app, Path dir) {
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new BerthException("app '" + app + "': " + dir + " exists but is not a git repository; move it away");
        }
        Path tmp = null;
        try {
            Files.createDirectories(root);
            tmp = Files.createTempDirectory(root, "." + app + SUFFIX + ".tmp-");
            try (Git git = Git.init().setBare(true).setDirectory(tmp.toFile()).setInitialBranch(INITIAL_BRANCH).call()) {
                StoredConfig config = git.getRepository().getConfig();
                // A reflog in a bare repository: a forced push can be undone by hand.
                config.setBoolean("core", null, "logallrefupdates", true);
                config.save();
            }
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                tmp = null;
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                // Another process created it meanwhile: use theirs.
                if (!isRepository(dir)) {
                    throw new BerthException("app '" + app + "': " + dir + " appeared but is not a git repository", e);
                }
            } catch (AtomicMoveNotSupportedException e) {
                throw new BerthException("app '" + app + "': the file system of " + root + " cannot rename atomically", e);
            }
            LOG.info("app '{}': created git repository {}", app, dir);
        } catch (IOException | GitAPIException e) {
            throw new BerthException("app '" + app + "': cannot create git repository " + dir, e);
        } finally {
            if (tmp != null) {
                try {
                    DiskUsage.deleteTree(tmp);
                } catch (UncheckedIOException e) {
                    LOG.warn("app '{}': cannot remove temporary directory {}", app, tmp, e);
                }
            }
        }
    }

    /**
     * Removes the lock files that a process killed during a ref update left in the repositories
     * ({@code HEAD.lock}, {@code packed-refs.lock}, {@code config.lock}, and any {@code *.lock}
     * under {@code refs/} and {@code logs/}), if they are older than {@code before}. Git leaves such
     * a file for a person to remove; Berth owns its repositories, and until it is removed every
     * push of that branch is refused ("failed to lock"). Called when the git server starts, with
     * the time this JVM started: no lock of a live push is that old.
     *
     * @return how many lock files were removed
     */
    public int clearStaleLocks(Instant before) {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        int removed = 0;
        try (Stream<Path> repos = Files.list(root)) {
            for (Path repo : (Iterable<Path>) repos.filter(d -> d.getFileName().toString().endsWith(SUFFIX))::iterator) {
                if (isRepository(repo)) {
                    removed += clearStaleLocks(repo, before);
                }
            }
        } catch (IOException e) {
            LOG.warn("git: cannot look for stale lock files in {}", root, e);
        }
        return removed;
    }

    private static int clearStaleLocks(Path repo, Instant before) throws IOException {
        List<Path> locks = new ArrayList<>();
        try (Stream<Path> top = Files.list(repo)) {
            top.filter(GitRepositories::isLockFile).forEach(locks::add);
        }
        for (String sub : List.of("refs", "logs")) {
            Path dir = repo.resolve(sub);
            if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.filter(GitRepositories::isLockFile).forEach(locks::add);
                }
            }
        }
        int removed = 0;
        for (Path lock : locks) {
            if (Files.getLastModifiedTime(lock, LinkOption.NOFOLLOW_LINKS).toInstant().isBefore(before)) {
                Files.deleteIfExists(lock);
                LOG.warn("git: removed {}, left by a process that died while updating a ref", lock);
                removed++;
            }
        }
        return removed;
    }

    private static boolean isLockFile(Path p) {
        return p.getFileName().toString().endsWith(".lock") && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
    }

    private static boolean isRepository(Path dir) {
        return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                && RepositoryCache.FileKey.isGitRepository(dir.toFile(), FS.DETECTED);
    }

    @Override
    public String toString() {
        return "GitRepositories[" + root + "]";
    }
}
