package dev.berth.core.internal.manifest;

import dev.berth.api.BerthException;
import dev.berth.api.InvalidSpecException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The size limit of a manifest, checked before any parser sees it, and the safe reading of a
 * manifest file: never through a symbolic link, never more than the limit, strictly UTF-8.
 *
 * <p>The limit is 1 MiB per manifest (file or text). A manifest of 1,000 apps with typical fields
 * is about 250 KB, so 1 MiB leaves room; and SnakeYAML scans one long scalar in quadratic time
 * before its own limits apply (4 MB took 4.3 s, 8 MB 17.6 s, 50 MB did not finish), while at
 * 1 MiB its worst case stays well under a second. Stateless and thread-safe.
 */
final class ManifestBytes {
    /** The largest manifest read, in bytes (UTF-8): 1 MiB. */
    static final int MAX_BYTES = 1 << 20;
    /** What the limit allows, for error messages. */
    static final String ALLOWED = "a manifest may be at most " + MAX_BYTES + " bytes (1 MiB); split its apps over several files";
    /**
     * The longest line of a YAML manifest, in characters: SnakeYAML's scanning of one token is
     * quadratic in its length (a 1 MiB line: 0.3-1.7 s; 64 KiB lines: about 2 ms each).
     */
    static final int MAX_YAML_LINE = 65_536;

    private ManifestBytes() {
    }

    /**
     * Refuses {@code text} when its UTF-8 form is longer than {@link #MAX_BYTES}, naming {@code origin}
     * and the size. Counts in one linear pass, without encoding.
     */
    static void check(String text, String origin) {
        if (text.length() <= MAX_BYTES / 3) {
            return; // a char is at most 3 UTF-8 bytes (a surrogate pair, 2 chars, is 4)
        }
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        if (bytes > MAX_BYTES) {
            throw tooLarge(bytes + " bytes", origin);
        }
    }

    /** Refuses a YAML {@code text} with a line longer than {@link #MAX_YAML_LINE}, naming the line. */
    static void checkYamlLines(String text, String origin) {
        int line = 1;
        int start = 0;
        for (int i = 0; i <= text.length(); i++) {
            if (i == text.length() || text.charAt(i) == '\n' || text.charAt(i) == '\r') {
                if (i - start > MAX_YAML_LINE) {
                    throw Where.locate(new InvalidSpecException("line", (i - start) + " characters", "a line of a YAML "
                            + "manifest may be at most " + MAX_YAML_LINE + " characters; write long text over several "
                            + "lines (a quoted or block scalar)"), origin, line);
                }
                if (i < text.length() && text.charAt(i) == '\n') {
                    line++;
                } else if (i < text.length() && !text.startsWith("\r\n", i)) {
                    line++; // a lone CR breaks a line too
                }
                start = i + 1;
            }
        }
    }

    /**
     * The text of the manifest file {@code file}, a regular file read without following a
     * symbolic link.
     *
     * @throws InvalidSpecException when it is a symbolic link or not a regular file, is larger than
     *                              {@link #MAX_BYTES}, or is not UTF-8 (never quoting its content)
     * @throws BerthException       when it cannot be read
     */
    static String read(Path file) {
        String origin = file.toString();
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (attrs.isSymbolicLink()) {
                throw new InvalidSpecException("file", file.getFileName(), "a manifest must be a regular file in the "
                        + "manifest folder, not a symbolic link (links are not followed: copy the file instead)").in(origin);
            }
            if (!attrs.isRegularFile()) {
                throw new InvalidSpecException("file", file.getFileName(), "a manifest must be a regular file").in(origin);
            }
            if (attrs.size() > MAX_BYTES) {
                throw tooLarge(attrs.size() + " bytes", origin);
            }
            byte[] bytes;
            // O_NOFOLLOW: a link swapped in since the check above fails to open instead of being followed
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                bytes = in.readNBytes(MAX_BYTES + 1);
            }
            if (bytes.length > MAX_BYTES) {
                throw tooLarge("more than " + MAX_BYTES + " bytes", origin);
            }
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidSpecException("encoding", file.getFileName(), "manifest files must be UTF-8 text").in(origin);
        } catch (IOException e) {
            throw new BerthException("cannot read manifest file " + file + ": " + e, e);
        }
    }

    private static InvalidSpecException tooLarge(String size, String origin) {
        InvalidSpecException e = new InvalidSpecException("size", size, ALLOWED);
        return origin == null ? e : e.in(origin);
    }
}
