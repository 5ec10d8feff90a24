// Atomic, durable file replacement: the one implementation the state store, the backends and the routers share.
package dev.berth.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Writes files so that a crash at any moment leaves either the old or the new content: write a
 * temporary sibling (owner-only unless told otherwise), fsync it, rename it over the target, fsync the directory. A file
 * system that cannot rename atomically is an error, never a silent non-atomic write. Stateless;
 * thread-safe as long as no two threads write the same file.
 */
public final class AtomicFiles {
    private static final FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private AtomicFiles() {
    }

    /** Who may read a file that {@link #write(Path, byte[], Access)} writes. */
    public enum Access {
        /** Its owner only (mode 0600): instance env, state, certificate keys. */
        OWNER_ONLY,
        /** Whoever the umask lets: a proxy's configuration, which a proxy run as another user reads. */
        UMASK
    }

    /** Whether a write must survive a crash of the machine, or only never be seen half done. */
    public enum Durability {
        /** fsync the file and its directory: state, keys, what cannot be made again. */
        DURABLE,
        /**
         * Only the rename: after a crash the old or the new content, or the old after a new one was
         * seen. For files made again from the platform's state (a proxy's configuration), where
         * three fsyncs cost hundreds of milliseconds per router update on a busy disk.
         */
        ATOMIC_ONLY
    }

    /** Replaces {@code target} with {@code bytes}, atomically and durably, readable by its owner only. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, bytes, Access.OWNER_ONLY);
    }

    /** Replaces {@code target} with {@code bytes}, atomically and durably, readable as {@code access} says. */
    public static void write(Path target, byte[] bytes, Access access) throws IOException {
        write(target, bytes, access, Durability.DURABLE);
    }

    /** Replaces {@code target} with {@code bytes}, atomically, readable as {@code access} says, as durable as asked. */
    public static void write(Path target, byte[] bytes, Access access, Durability durability) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Set<StandardOpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try (FileChannel ch = access == Access.OWNER_ONLY ? FileChannel.open(tmp, options, OWNER_ONLY)
                : FileChannel.open(tmp, options)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            if (durability == Durability.DURABLE) {
                ch.force(true);
            }
        }
        move(tmp, target, durability);
    }

    /**
     * Renames {@code from} over {@code to} (in the same directory) atomically and makes the rename
     * durable.
     *
     * @throws IOException also when the file system cannot rename atomically
     */
    public static void move(Path from, Path to) throws IOException {
        move(from, to, Durability.DURABLE);
    }

    /**
     * Renames {@code from} over {@code to} (in the same directory) atomically, as durable as asked.
     *
     * @throws IOException also when the file system cannot rename atomically
     */
    public static void move(Path from, Path to, Durability durability) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + to.toAbsolutePath().getParent()
                    + " cannot rename atomically", e);
        }
        if (durability == Durability.DURABLE) {
            syncDirectory(to.toAbsolutePath().getParent());
        }
    }

    /** Deletes {@code target} if present and makes the deletion durable. */
    public static void delete(Path target) throws IOException {
        if (Files.deleteIfExists(target)) {
            syncDirectory(target.toAbsolutePath().getParent());
        }
    }

    /** Deletes {@code dir} and everything below it (symbolic links are deleted, not followed); a no-op when absent. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Makes the entries of {@code dir} (a new file, a rename, a deletion) durable. */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open directories for fsync; the rename is still atomic there.
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
    }
}
