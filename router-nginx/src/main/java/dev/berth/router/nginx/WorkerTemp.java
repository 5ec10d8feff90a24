// Where an owned nginx's temp files go when its workers run as another user: a directory they can reach, made safely.
package dev.berth.router.nginx;

import dev.berth.api.BerthException;
import dev.berth.support.AtomicFiles;
import dev.berth.support.ProxyUser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * The parent of nginx's temp directories ({@code client_body}, {@code proxy}, ...), which its
 * workers write request bodies and large responses to. nginx's master (root) creates them and
 * hands them to the workers' user; their parent must stay root's and unwritable by that user, so
 * that nobody running as it can swap one for a symlink that the master would then chown.
 *
 * <p>{@code <prefix>/temp} when the workers' user can reach it; else (a prefix under a mode-700
 * directory such as {@code /root}) {@code /var/cache/berth/nginx-<digest of the prefix>}, made root's,
 * mode 755, refused when something else already sits there. Stateless; thread-safe.
 */
final class WorkerTemp {
    /** Where the fallback directories live. */
    static final Path FALLBACK_ROOT = Path.of("/var/cache/berth");

    private WorkerTemp() {
    }

    /**
     * {@code prefixTemp} (created) when {@code user} can reach it, else the fallback under
     * {@code fallbackRoot} (created and checked).
     *
     * @throws BerthException when the fallback cannot be made or is not root's own directory
     */
    static Path choose(Path prefixTemp, ProxyUser user, Path fallbackRoot) {
        try {
            Files.createDirectories(prefixTemp);
        } catch (IOException e) {
            throw new BerthException("nginx router: cannot create " + prefixTemp + ": " + e.getMessage(), e);
        }
        if (user.canReach(prefixTemp)) {
            return prefixTemp;
        }
        Path dir = fallbackRoot.resolve("nginx-" + digest(prefixTemp.getParent().toString()));
        ownDirectory(fallbackRoot);
        ownDirectory(dir);
        if (!user.canReach(dir)) {
            throw new BerthException("nginx router: the workers' user " + user.name() + " can reach neither "
                    + prefixTemp + " nor " + dir + " for its temp files; make one of them searchable by it, or set "
                    + "proxyUser(...) to another user");
        }
        return dir;
    }

    /** Deletes a fallback directory {@link #choose} made (never {@code <prefix>/temp}); links are not followed. */
    static void deleteFallback(Path dir, Path prefixTemp) {
        if (dir.equals(prefixTemp) || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            AtomicFiles.deleteTree(dir);
        } catch (IOException e) {
            // a leftover temp directory does no harm; the next router on this prefix reuses it
        }
    }

    /** Creates {@code dir} (mode 755) or accepts it only as root's own real directory, unwritable by others. */
    private static void ownDirectory(Path dir) {
        try {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // despite the umask
            } catch (FileAlreadyExistsException e) {
                // checked below
            }
            Map<String, Object> a = Files.readAttributes(dir, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || (Integer) a.get("uid") != 0 || (mode & 0022) != 0) {
                throw new BerthException("nginx router: " + dir + " is not allowed as the parent of nginx's temp "
                        + "directories; must be a directory (not a link) of root's, writable by root only; remove it");
            }
        } catch (IOException e) {
            throw new BerthException("nginx router: cannot create " + dir + " for nginx's temp files: " + e.getMessage(), e);
        }
    }

    private static String digest(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
