// The image a directory source's release is built into: one name per app, release and code directory.
package dev.berth.support.docker;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Names the images Berth builds from a Dockerfile: {@code berth/APP:RELEASE-HASH}, the same on one
 * Docker Engine and on a swarm's manager. Stateless.
 */
public final class ReleaseImages {
    private ReleaseImages() {
    }

    /**
     * The image a directory source's release is built into: {@code berth/<app>:<release>-<hash>},
     * where the hash is of the directory's path, so that another platform's release of the same
     * name on this engine (its own state, its own code) never reuses this image.
     */
    public static String name(String app, String release, Path context) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256")
                    .digest(context.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        String hash = HexFormat.of().formatHex(digest, 0, 4);
        return name(app, release + "-" + hash);
    }

    /** {@code berth/<app>:<tag>}, lowercased and cut to what Docker allows. */
    public static String name(String app, String release) {
        String repo = app.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
        repo = repo.replaceAll("^[^a-z0-9]+", "");
        String tag = release.replaceAll("[^A-Za-z0-9_.-]", "_");
        if (tag.isEmpty() || !Character.isLetterOrDigit(tag.charAt(0))) {
            tag = "r" + tag;
        }
        return "berth/" + (repo.isEmpty() ? "app" : repo) + ":" + (tag.length() > 128 ? tag.substring(0, 128) : tag);
    }
}
