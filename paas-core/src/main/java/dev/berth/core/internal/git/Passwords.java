package dev.berth.core.internal.git;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Password checks in constant time. Both sides are hashed with SHA-256 first, so the comparison
 * ({@link MessageDigest#isEqual}) takes the same time whatever the length or content of the
 * guess, and the server keeps only the digest of the password, never the password itself.
 */
final class Passwords {
    private Passwords() {
    }

    /** SHA-256 of the UTF-8 bytes of {@code password}. */
    static byte[] digest(String password) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Whether {@code given} is the password whose {@link #digest} is {@code expected}; false for null. */
    static boolean matches(byte[] expected, String given) {
        byte[] actual = digest(given == null ? "" : given);
        // Always compare, even for a null guess, so a missing password takes the same path.
        return MessageDigest.isEqual(expected, actual) && given != null;
    }
}
