package dev.berth.core.internal.git;

import dev.berth.api.BerthException;
import dev.berth.api.NotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Materializes the tree of one commit of an app's repository into a release directory.
 *
 * <ul>
 *   <li>Files get the blob's bytes as stored (no {@code .gitattributes} filters, no line-ending
 *       conversion, no LFS), mode {@code 0755} for {@code 100755} entries and {@code 0644} otherwise.</li>
 *   <li>Symbolic links are made as links when their target stays inside the release (checked on the
 *       text and, once everything is written, on the resolved path); a link pointing outside fails
 *       the checkout. Links are made after all files, so no file is ever written through one.</li>
 *   <li>Submodules (gitlinks) are skipped with a warning.</li>
 *   <li>A path with an empty, {@code .}, {@code ..} or {@code .git} component fails the checkout.</li>
 * </ul>
 * Everything is written (and fsynced) into a temporary sibling of the target, which is then
 * renamed into place, so a half-written release never exists under the target's name.
 *
 * <p>Thread-safe (stateless but for the repositories).
 */
public final class ReleaseCheckout {
    private static final Logger LOG = LoggerFactory.getLogger(ReleaseCheckout.class);
    private static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> REGULAR = PosixFilePermissions.fromString("rw-r--r--");
    private static final int MAX_LINK_TARGET = 4096;

    private final GitRepositories repositories;

    public ReleaseCheckout(GitRepositories repositories) {
        this.repositories = Objects.requireNonNull(repositories, "repositories");
    }

    /**
     * Writes the tree of {@code commit} of {@code app}'s repository to {@code target}. If
     * {@code target} already is a directory it is taken to be this release, complete (only a
     * finished checkout is ever renamed there), and left as it is.
     *
     * @param commit a commit id or an unambiguous prefix of 7-40 hex digits
     * @param target the release directory; must not exist yet (its parent is created)
     * @return the target, absolute
     * @throws NotFoundException if the app has no repository or the repository lacks the commit
     * @throws BerthException    if a path or link of the tree is unsafe, or writing fails (nothing is left behind)
     */
    public Path checkout(String app, String commit, Path target) {
        GitRepositories.checkName(app);
        Path dest = Objects.requireNonNull(target, "target").toAbsolutePath().normalize();
        if (Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
            LOG.debug("app '{}': release {} already checked out", app, dest);
            return dest;
        }
        if (Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
            throw new BerthException("app '" + app + "': cannot check out into " + dest + ": it exists and is not a "
                    + "directory");
        }
        String id = repositories.findCommit(app, commit).orElseThrow(() -> new NotFoundException(
                "app '" + app + "': its git repository has no commit " + commit));
        Path parent = dest.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempDirectory(parent, "." + dest.getFileName() + ".tmp-");
            Files.setPosixFilePermissions(tmp, EXECUTABLE);
            int files = write(app, id, tmp);
            try {
                Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
                tmp = null;
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                if (!Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
                    throw e;
                }
                LOG.debug("app '{}': release {} was checked out concurrently", app, dest);
                return dest;
            } catch (AtomicMoveNotSupportedException e) {
                throw new BerthException("app '" + app + "': the file system of " + parent
                        + " cannot rename atomically", e);
            }
            fsync(parent);
            LOG.info("app '{}': checked out commit {} into {} ({} files)", app, id, dest, files);
            return dest;
        } catch (IOException e) {
            throw new BerthException("app '" + app + "': cannot check out commit " + id + " into " + dest + ": " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    DiskUsage.deleteTree(tmp);
                } catch (RuntimeException e) {
                    LOG.warn("app '{}': cannot remove the partial checkout {}", app, tmp, e);
                }
            }
        }
    }

    /** Writes the commit's tree under {@code root}; returns the number of files and links written. */
    private int write(String app, String id, Path root) throws IOException {
        String where = "app '" + app + "' commit " + id;
        List<Link> links = new ArrayList<>();
        Set<Path> dirs = new LinkedHashSet<>();
        dirs.add(root);
        int count = 0;
        try (Repository repo = repositories.open(app); ObjectReader reader = repo.newObjectReader();
                RevWalk walk = new RevWalk(reader); TreeWalk tree = new TreeWalk(repo, reader)) {
            RevCommit c = walk.parseCommit(ObjectId.fromString(id));
            tree.addTree(c.getTree());
            tree.setRecursive(true);
            while (tree.next()) {
                String path = tree.getPathString();
                Path file = safePath(where, root, path);
                int mode = tree.getRawMode(0);
                int type = mode & FileMode.TYPE_MASK;
                if (type == FileMode.TYPE_FILE) {
                    Path dir = file.getParent();
                    Files.createDirectories(dir);
                    for (Path d = dir; !d.equals(root); d = d.getParent()) {
                        dirs.add(d);
                    }
                    writeFile(reader, tree.getObjectId(0), file, (mode & 0111) != 0);
                    count++;
                } else if (type == FileMode.TYPE_SYMLINK) {
                    byte[] raw = reader.open(tree.getObjectId(0), Constants.OBJ_BLOB).getCachedBytes(MAX_LINK_TARGET);
                    String linkTarget = new String(raw, StandardCharsets.UTF_8);
                    checkLinkText(where, root, path, file, linkTarget);
                    links.add(new Link(file, path, linkTarget));
                } else if (type == FileMode.TYPE_GITLINK) {
                    LOG.warn("{}: skipping submodule '{}' (submodules are not checked out)", where, path);
                } else {
                    LOG.warn("{}: skipping '{}' of unknown mode {}", where, path, Integer.toOctalString(mode));
                }
            }
        } catch (org.eclipse.jgit.errors.LargeObjectException e) {
            throw new BerthException(where + ": a symbolic link's target is longer than " + MAX_LINK_TARGET + " bytes", e);
        }
        // Links last: no file above was written through one. Links through links (a -> ., b -> a/..)
        // can escape even when each text stays inside, so the resolved paths are checked too.
        Path realRoot = root.toRealPath();
        for (Link link : links) {
            Path dir = link.file().getParent();
            Files.createDirectories(dir);
            if (!dir.toRealPath().startsWith(realRoot)) {
                throw unsafeLink(where, link.path(), link.target());
            }
            for (Path d = dir; !d.equals(root); d = d.getParent()) {
                dirs.add(d);
            }
            Files.createSymbolicLink(link.file(), Path.of(link.target()));
            count++;
        }
        for (Link link : links) {
            if (Files.exists(link.file()) && !link.file().toRealPath().startsWith(realRoot)) {
                throw unsafeLink(where, link.path(), link.target());
            }
        }
        for (Path d : dirs) {
            fsync(d);
        }
        return count;
    }

    /** A symbolic link to make: where, its tree path, its target text. */
    private record Link(Path file, String path, String target) {
    }

    /** The file of a tree path under {@code root}, after checking every component of the path. */
    static Path safePath(String where, Path root, String path) {
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..") || part.equalsIgnoreCase(".git")
                    || part.indexOf('\0') >= 0) {
                throw new BerthException(where + ": the tree holds the unsafe path '" + LogSafe.printable(path)
                        + "' (empty, '.', '..' or '.git' component); it is not checked out");
            }
        }
        Path file = root.resolve(path).normalize();
        if (!file.startsWith(root) || file.equals(root)) {
            throw new BerthException(where + ": the tree holds the unsafe path '" + LogSafe.printable(path) + "'");
        }
        return file;
    }

    /** Rejects a link whose text is empty, absolute or leads (lexically) outside {@code root}. */
    static void checkLinkText(String where, Path root, String path, Path link, String target) {
        if (target.isEmpty() || target.indexOf('\0') >= 0 || target.startsWith("/")) {
            throw unsafeLink(where, path, target);
        }
        Path resolved = link.getParent().resolve(target).normalize();
        if (!resolved.startsWith(root)) {
            throw unsafeLink(where, path, target);
        }
    }

    private static BerthException unsafeLink(String where, String path, String target) {
        return new BerthException(where + ": the symbolic link '" + LogSafe.printable(path) + "' points to '"
                + LogSafe.printable(target) + "', outside the release; a release may only link inside "
                + "itself (make it relative and inside the repository)");
    }

    private static void writeFile(ObjectReader reader, ObjectId blob, Path file, boolean executable) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            OutputStream out = Channels.newOutputStream(ch);
            reader.open(blob, Constants.OBJ_BLOB).copyTo(out);
            out.flush();
            ch.force(true);
        }
        Files.setPosixFilePermissions(file, executable ? EXECUTABLE : REGULAR);
    }

    private static void fsync(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems refuse to fsync a directory; the rename is still atomic there.
            LOG.debug("cannot fsync directory {}", dir, e);
        }
    }
}
