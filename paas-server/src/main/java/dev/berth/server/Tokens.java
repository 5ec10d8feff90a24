// The control API's bearer tokens: each with a scope and maybe a list of apps, kept only as SHA-256 hashes.
package dev.berth.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tokens the control API accepts ({@code Authorization: Bearer TOKEN}). Only their SHA-256
 * hashes are kept; a presented token is hashed and compared with every grant in constant time, and
 * no token is ever logged or answered. A tokens file has one grant per line:
 *
 * <pre>
 * # scope  token (or sha256:HEX of it)  [apps, comma-separated: the grant is limited to them]
 * admin   s3cr3t-admin-token-0123456789
 * deploy  sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  web,api
 * read    a-read-only-token-for-dashboards
 * </pre>
 *
 * A token has at least {@value #MIN_LENGTH} characters of {@code A-Z a-z 0-9 . _ ~ + / = -}.
 */
public final class Tokens {
    /** The shortest token accepted. */
    public static final int MIN_LENGTH = 16;
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._~+/=-]{" + MIN_LENGTH + ",512}");
    private static final Pattern HASHED = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final Pattern APP = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    /**
     * What one token may do.
     *
     * @param scope what it allows
     * @param apps  the apps it is limited to; empty: every app
     */
    public record Grant(Scope scope, Set<String> apps) {
        /** A grant; {@code apps} is copied. */
        public Grant {
            apps = Set.copyOf(apps);
        }

        /** Whether it may act on {@code app}. */
        public boolean covers(String app) {
            return apps.isEmpty() || apps.contains(app);
        }
    }

    private record Entry(byte[] hash, Grant grant) {
    }

    private final List<Entry> entries;

    private Tokens(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** One token with every right: what {@code BERTH_TOKEN} gives. */
    public static Tokens admin(String token) {
        return new Tokens(List.of(new Entry(sha256(checkToken(token, "the admin token")), new Grant(Scope.ADMIN, Set.of()))));
    }

    /**
     * The grants of a tokens file (format above).
     *
     * @throws IllegalArgumentException naming the file, the line and what is wrong (never the token)
     */
    public static Tokens load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("tokens file " + file + ": cannot read it: " + e.getMessage(), e);
        }
        return parse(lines, file.toString());
    }

    /** The grants of the lines of a tokens file; {@code origin} names it in errors. */
    public static Tokens parse(List<String> lines, String origin) {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = origin + " line " + (i + 1);
            String[] f = line.split("\\s+");
            if (f.length < 2 || f.length > 3) {
                throw new IllegalArgumentException(where + ": expected 'SCOPE TOKEN [APP,...]', found " + f.length
                        + " field(s)");
            }
            Scope scope = Scope.parse(f[0], where);
            byte[] hash;
            if (HASHED.matcher(f[1]).matches()) {
                hash = HexFormat.of().parseHex(f[1].substring("sha256:".length()));
            } else {
                hash = sha256(checkToken(f[1], where));
            }
            Set<String> apps = Set.of();
            if (f.length == 3) {
                apps = Set.copyOf(Arrays.asList(f[2].split(",")));
                for (String app : apps) {
                    if (!APP.matcher(app).matches()) {
                        throw new IllegalArgumentException(where + ": app '" + app + "' is not an app name (1-63 of "
                                + "a-z 0-9 -, not starting or ending with -)");
                    }
                }
            }
            entries.add(new Entry(hash, new Grant(scope, apps)));
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(origin + ": no token in it; add a line 'admin TOKEN'");
        }
        return new Tokens(entries);
    }

    /** The grant of {@code presented}, compared with every token in constant time; empty if none matches. */
    public Optional<Grant> find(String presented) {
        if (presented == null) {
            return Optional.empty();
        }
        byte[] hash = sha256(presented);
        Grant found = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(e.hash, hash) && found == null) { // no early exit: every entry is compared
                found = e.grant;
            }
        }
        return Optional.ofNullable(found);
    }

    /** How many tokens there are. */
    public int size() {
        return entries.size();
    }

    private static String checkToken(String token, String where) {
        if (token == null || !TOKEN.matcher(token).matches()) {
            // the token itself is never quoted: it may be a real secret with a typo
            throw new IllegalArgumentException(where + ": a token must be " + MIN_LENGTH + "-512 characters of "
                    + "A-Z a-z 0-9 . _ ~ + / = - (this one " + (token == null ? "is missing" : "has " + token.length()
                    + " characters or others") + ")");
        }
        return token;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @Override
    public String toString() {
        return "Tokens[" + entries.size() + "]"; // never the hashes
    }
}
