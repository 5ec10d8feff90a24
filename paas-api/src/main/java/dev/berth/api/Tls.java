package dev.berth.api;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * TLS for a routed app's domains: a PEM certificate (chain) file and its PEM private key file, read
 * by the router when it loads its configuration. Both paths are absolute and plain (no spaces,
 * quotes, {@code ;}, braces or newlines), so that they can be written into a proxy's configuration
 * file as they are. Immutable.
 *
 * @param certificate the PEM certificate chain, leaf first
 * @param key         the PEM private key of the leaf certificate
 */
public record Tls(Path certificate, Path key) {
    private static final Pattern PLAIN_PATH = Pattern.compile("/[A-Za-z0-9._/+@=,-]*");
    private static final String ALLOWED = "must be an absolute path of A-Z a-z 0-9 . _ / + @ = , - only";

    public Tls {
        certificate = checkPath("routing.tls.certificate", certificate);
        key = checkPath("routing.tls.key", key);
    }

    /** TLS from these two files. */
    public static Tls of(Path certificate, Path key) {
        return new Tls(certificate, key);
    }

    /**
     * Returns {@code p} when it may be written into a proxy's configuration as it is (absolute,
     * plain characters, no {@code ..}); else throws an {@link InvalidSpecException} naming
     * {@code field}. Routers check a table's paths again with it before rendering them.
     */
    public static Path checkPath(String field, Path p) {
        Checks.notNull(field, p);
        String s = p.toString();
        if (!p.isAbsolute() || !PLAIN_PATH.matcher(s).matches() || s.contains("/../") || s.endsWith("/..")) {
            throw new InvalidSpecException(field, s, ALLOWED + ", without '..'");
        }
        return p;
    }
}
