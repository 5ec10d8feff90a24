// The TLS routes' certificates and keys, combined into one PEM bundle per certificate as haproxy reads them, and read again only when a file changed.
package dev.berth.router.haproxy;

import dev.berth.api.InvalidSpecException;
import dev.berth.api.RoutingTable;
import dev.berth.api.Tls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The PEM bundles (certificate, then key, in one file) that haproxy's {@code crt-list} names, one
 * per TLS domain, each with the SHA-256 digest of its content: the {@link Planner} compares
 * digests to tell a changed certificate. A bundle is kept while the route's {@link Tls} stays and
 * read again only when the modification time, size or identity of its certificate or key file
 * changed. Not thread-safe: the router's lock guards every call.
 */
final class PemBundles {
    /** A combined certificate and key file's content, and the state of the two files it came from. */
    record Pem(byte[] content, String digest, Object certStamp, Object keyStamp) {
    }

    private final Map<Tls, Pem> pems = new HashMap<>();

    /**
     * Each TLS domain's certificate and key, combined into one PEM (read again only when changed);
     * bundles of a {@link Tls} that no route has any more are forgotten.
     *
     * @throws InvalidSpecException naming the route's field when a file cannot be read
     */
    Map<String, Pem> certificates(RoutingTable table) {
        Map<String, Pem> byDomain = new TreeMap<>();
        Map<Tls, Pem> seen = new HashMap<>();
        for (Map.Entry<String, RoutingTable.Route> e : table.routes().entrySet()) {
            Tls tls = e.getValue().tls();
            if (tls == null) {
                continue;
            }
            Pem pem = seen.get(tls);
            if (pem == null) {
                pem = pem(e.getKey(), tls);
                seen.put(tls, pem);
            }
            byDomain.put(e.getKey(), pem);
        }
        pems.keySet().retainAll(seen.keySet());
        return byDomain;
    }

    /** The digest of each domain's bundle, by domain. */
    static Map<String, String> digests(Map<String, Pem> certificates) {
        Map<String, String> digests = new TreeMap<>();
        certificates.forEach((domain, pem) -> digests.put(domain, pem.digest()));
        return digests;
    }

    private Pem pem(String domain, Tls tls) {
        Object certStamp = stamp("routes[" + domain + "].tls.certificate", tls.certificate());
        Object keyStamp = stamp("routes[" + domain + "].tls.key", tls.key());
        Pem cached = pems.get(tls);
        if (cached != null && cached.certStamp().equals(certStamp) && cached.keyStamp().equals(keyStamp)) {
            return cached;
        }
        byte[] cert = read("routes[" + domain + "].tls.certificate", tls.certificate());
        byte[] key = read("routes[" + domain + "].tls.key", tls.key());
        ByteArrayOutputStream combined = new ByteArrayOutputStream(cert.length + 1 + key.length);
        combined.writeBytes(cert);
        if (cert.length > 0 && cert[cert.length - 1] != '\n') {
            combined.write('\n');
        }
        combined.writeBytes(key);
        byte[] content = combined.toByteArray();
        Pem pem = new Pem(content, digest(content), certStamp, keyStamp);
        pems.put(tls, pem);
        return pem;
    }

    private static Object stamp(String field, Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
        } catch (IOException e) {
            throw new InvalidSpecException(field, file, "must be a readable PEM file (" + e + ")");
        }
    }

    private static byte[] read(String field, Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InvalidSpecException(field, file, "must be a readable PEM file (" + e + ")");
        }
    }

    private static String digest(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
