// The control API's certificate and key: read from PEM or PKCS#12 files, checked to belong together, held as an in-memory key store.
package dev.berth.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A server certificate chain and its private key, as the control API serves them over HTTPS:
 * read from PEM files ({@link #pem}) or a PKCS#12 file ({@link #pkcs12}), and checked at once
 * (the key must be the first certificate's, RSA or EC). Immutable and thread-safe; its
 * {@link #toString()} names the certificate, never the key.
 */
public final class TlsKeys {
    /** The largest certificate or key file read (a chain is a few KiB). */
    static final int MAX_FILE_BYTES = 1 << 20;
    /** The alias of the one entry in {@link #keyStore()}. */
    static final String ALIAS = "berth-api";
    /**
     * The password of the in-memory key store handed to Jetty. It protects nothing (the store is
     * never written anywhere); Jetty's key manager factory only needs one.
     */
    static final String KEY_PASSWORD = "berth-api-in-memory";
    private static final String CONVERT = "openssl pkcs8 -topk8 -nocrypt -in old.pem -out key.pem";
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

    private final List<X509Certificate> chain;
    private final KeyStore keyStore;
    private final String fingerprint;

    private TlsKeys(List<X509Certificate> chain, PrivateKey key) throws GeneralSecurityException {
        this.chain = List.copyOf(chain);
        KeyStore store = KeyStore.getInstance("PKCS12");
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        store.setKeyEntry(ALIAS, key, KEY_PASSWORD.toCharArray(), chain.toArray(new Certificate[0]));
        // what Jetty does with it at (re)load: fails here, not in the server
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(store, KEY_PASSWORD.toCharArray());
        SSLContext.getInstance("TLS").init(managers.getKeyManagers(), null, null);
        this.keyStore = store;
        this.fingerprint = HexFormat.ofDelimiter(":").withUpperCase()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(chain.get(0).getEncoded()));
    }

    /**
     * Reads a PEM certificate chain (one or more {@code CERTIFICATE} blocks, the server's first)
     * and its unencrypted PKCS#8 {@code PRIVATE KEY} (RSA or EC). Both may be the same file.
     *
     * @throws IllegalArgumentException naming the file, what is wrong and what is allowed (a PKCS#1
     *         {@code RSA PRIVATE KEY} or an encrypted key is answered with the openssl command that converts it)
     */
    public static TlsKeys pem(Path certificateChain, Path privateKey) {
        return Source.pem(certificateChain, privateKey).load();
    }

    /**
     * Reads a PKCS#12 file holding one private key (RSA or EC) with its certificate chain.
     *
     * @param password the file's password (empty for none); not kept
     * @throws IllegalArgumentException naming the file and what is wrong, such as a wrong password
     */
    public static TlsKeys pkcs12(Path file, char[] password) {
        return Source.pkcs12(file, password).load();
    }

    /** The server certificate's subject, such as {@code CN=api.example.com}. */
    public String subject() {
        return chain.get(0).getSubjectX500Principal().getName();
    }

    /** When the server certificate expires. */
    public Instant notAfter() {
        return chain.get(0).getNotAfter().toInstant();
    }

    /** The SHA-256 fingerprint of the server certificate, as {@code AB:CD:...}. */
    public String sha256Fingerprint() {
        return fingerprint;
    }

    /** The server certificate first, then the rest of the chain. */
    List<X509Certificate> chain() {
        return chain;
    }

    /** An in-memory key store with the key and chain under {@link #ALIAS}, protected by {@link #KEY_PASSWORD}. */
    KeyStore keyStore() {
        return keyStore;
    }

    /** The certificate's subject, expiry and fingerprint (never the key). */
    @Override
    public String toString() {
        return subject() + " (not after " + notAfter() + ", SHA-256 " + fingerprint + ")";
    }

    /**
     * Where keys come from: a PEM chain and key, or a PKCS#12 file and its password. It can look at
     * the files without reading them ({@link #stamp}), read them ({@link #read}) and parse what was
     * read ({@link #parse}), so a reloader hashes and loads the very same bytes.
     */
    record Source(String option, List<Path> files, char[] password) {
        static Source pem(Path certificateChain, Path privateKey) {
            return new Source("tlsPem", List.of(Objects.requireNonNull(certificateChain, "certificateChain"),
                    Objects.requireNonNull(privateKey, "privateKey")), null);
        }

        static Source pkcs12(Path file, char[] password) {
            return new Source("tlsPkcs12", List.of(Objects.requireNonNull(file, "file")),
                    Objects.requireNonNull(password, "password").clone());
        }

        /** Size and modification time of each file ("missing" for one that is not there): cheap, for polling. */
        List<String> stamp() {
            List<String> stamp = new ArrayList<>();
            for (Path f : files) {
                try {
                    stamp.add(Files.size(f) + "@" + Files.getLastModifiedTime(f).toMillis());
                } catch (IOException e) {
                    stamp.add("missing");
                }
            }
            return stamp;
        }

        /** Every file's bytes. @throws IllegalArgumentException naming a file that is missing, unreadable or too large */
        byte[][] read() {
            byte[][] contents = new byte[files.size()][];
            for (int i = 0; i < files.size(); i++) {
                Path f = files.get(i);
                String what = role(i) + " " + f;
                try {
                    long size = Files.size(f);
                    if (size > MAX_FILE_BYTES) {
                        throw new IllegalArgumentException(what + ": " + size + " bytes; a certificate or key file has at most "
                                + MAX_FILE_BYTES + " bytes");
                    }
                    contents[i] = Files.readAllBytes(f);
                } catch (NoSuchFileException e) {
                    throw new IllegalArgumentException(what + ": no such file; allowed: " + allowed(i), e);
                } catch (IOException e) {
                    throw new IllegalArgumentException(what + ": cannot read it (" + e + "); allowed: a readable " + allowed(i), e);
                }
            }
            return contents;
        }

        /** The SHA-256 of everything read, as hex: equal contents, equal hash. */
        static String sha256(byte[][] contents) {
            try {
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                for (byte[] c : contents) {
                    digest.update(Integer.toString(c.length).getBytes(StandardCharsets.US_ASCII));
                    digest.update((byte) ':');
                    digest.update(c);
                }
                return HexFormat.of().formatHex(digest.digest());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from this JVM", e);
            }
        }

        /** The option and files, never the password. */
        @Override
        public String toString() {
            return option + " " + files;
        }

        /** Reads and parses. */
        TlsKeys load() {
            return parse(read());
        }

        /** Parses what {@link #read} returned. @throws IllegalArgumentException naming the file and what is allowed */
        TlsKeys parse(byte[][] contents) {
            return password == null ? parsePem(contents[0], contents[1]) : parsePkcs12(contents[0]);
        }

        private String role(int i) {
            return password != null ? "PKCS#12 file" : i == 0 ? "certificate chain" : "private key";
        }

        private String allowed(int i) {
            return password != null ? "a PKCS#12 file with one private key (RSA or EC) and its certificate chain"
                    : i == 0 ? "PEM with one or more CERTIFICATE blocks, the server's first"
                    : "PEM with an unencrypted PKCS#8 PRIVATE KEY block (RSA or EC)";
        }

        private TlsKeys parsePem(byte[] chainBytes, byte[] keyBytes) {
            Path chainFile = files.get(0);
            Path keyFile = files.get(1);
            List<X509Certificate> chain = new ArrayList<>();
            for (String[] block : blocks(chainBytes, "certificate chain " + chainFile)) {
                if (block[0].equals("CERTIFICATE")) {
                    chain.add(certificate(decode(block[1], "certificate chain " + chainFile), "certificate chain " + chainFile));
                }
            }
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("certificate chain " + chainFile + ": no CERTIFICATE block in it; allowed: "
                        + allowed(0));
            }
            String keyWhat = "private key " + keyFile;
            PrivateKey key = null;
            List<String> found = new ArrayList<>();
            for (String[] block : blocks(keyBytes, keyWhat)) {
                found.add(block[0]);
                switch (block[0]) {
                    case "PRIVATE KEY" -> key = privateKey(decode(block[1], keyWhat), keyWhat);
                    case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> throw new IllegalArgumentException(keyWhat + ": an '" + block[0]
                            + "' (" + (block[0].startsWith("RSA") ? "PKCS#1" : "SEC1") + ", OpenSSL's old format" + (block[1].contains("ENCRYPTED") ? ", encrypted" : "")
                            + ") is not read; allowed: an unencrypted PKCS#8 'PRIVATE KEY' (RSA or EC). Convert it with: " + CONVERT);
                    case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException(keyWhat + ": the key is encrypted; "
                            + "allowed: an unencrypted PKCS#8 'PRIVATE KEY' (RSA or EC), readable only by the server's user. "
                            + "Convert it with: " + CONVERT);
                    default -> {
                        // certificates next to the key (a combined file) are fine
                    }
                }
                if (key != null) {
                    break;
                }
            }
            if (key == null) {
                throw new IllegalArgumentException(keyWhat + ": no PRIVATE KEY block in it" + (found.isEmpty() ? ""
                        : " (found " + String.join(", ", found) + ")") + "; allowed: " + allowed(1));
            }
            matches(key, chain.get(0), keyWhat + " does not belong to the first certificate of " + chainFile);
            return keys(chain, key, keyWhat);
        }

        private TlsKeys parsePkcs12(byte[] bytes) {
            String what = "PKCS#12 file " + files.get(0);
            KeyStore store;
            try {
                store = KeyStore.getInstance("PKCS12");
                store.load(new ByteArrayInputStream(bytes), password);
            } catch (IOException e) {
                boolean wrongPassword = e.getCause() instanceof UnrecoverableKeyException
                        || String.valueOf(e.getMessage()).toLowerCase().contains("password");
                throw new IllegalArgumentException(what + (wrongPassword ? ": the password is wrong"
                        : ": not a PKCS#12 file (" + e.getMessage() + ")") + "; allowed: " + allowed(0)
                        + ", with the password given", e);
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException(what + ": cannot read it (" + e + "); allowed: " + allowed(0), e);
            }
            List<String> keyAliases = new ArrayList<>();
            try {
                for (String alias : Collections.list(store.aliases())) {
                    if (store.isKeyEntry(alias)) {
                        keyAliases.add(alias);
                    }
                }
                if (keyAliases.size() != 1) {
                    throw new IllegalArgumentException(what + ": holds " + keyAliases.size() + " private keys; allowed: "
                            + allowed(0));
                }
                String alias = keyAliases.get(0);
                PrivateKey key = (PrivateKey) store.getKey(alias, password);
                Certificate[] certs = store.getCertificateChain(alias);
                if (certs == null || certs.length == 0) {
                    throw new IllegalArgumentException(what + ": its key '" + alias + "' has no certificate; allowed: "
                            + allowed(0));
                }
                List<X509Certificate> chain = new ArrayList<>();
                for (Certificate c : certs) {
                    chain.add((X509Certificate) c);
                }
                matches(key, chain.get(0), what + ": its key does not belong to its certificate");
                return keys(chain, key, what);
            } catch (GeneralSecurityException | ClassCastException e) {
                throw new IllegalArgumentException(what + ": cannot read its key (" + e + "); allowed: " + allowed(0), e);
            }
        }
    }

    private static TlsKeys keys(List<X509Certificate> chain, PrivateKey key, String what) {
        try {
            return new TlsKeys(chain, key);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + ": cannot serve TLS with it (" + e + ")", e);
        }
    }

    /** The PEM blocks of a file as {type, body}; a BEGIN without its END (a half-written file) is refused. */
    private static List<String[]> blocks(byte[] bytes, String what) {
        String text = new String(bytes, StandardCharsets.US_ASCII);
        List<String[]> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            blocks.add(new String[] {m.group(1), m.group(2)});
        }
        int begins = text.split("-----BEGIN ", -1).length - 1;
        if (begins != blocks.size()) {
            throw new IllegalArgumentException(what + ": a '-----BEGIN' line without its '-----END' line (a file cut "
                    + "short?); allowed: PEM, each block from its BEGIN line to its END line");
        }
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException(what + ": not PEM (no '-----BEGIN' line); allowed: PEM text such as openssl writes");
        }
        return blocks;
    }

    private static byte[] decode(String body, String what) {
        try {
            return Base64.getDecoder().decode(body.replaceAll("\\s+", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": a PEM block is not base64 (" + e.getMessage() + ")", e);
        }
    }

    private static X509Certificate certificate(byte[] der, String what) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new IllegalArgumentException(what + ": a CERTIFICATE block is not an X.509 certificate (" + e.getMessage()
                    + ")", e);
        }
    }

    private static PrivateKey privateKey(byte[] der, String what) {
        for (String algorithm : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not this algorithm: try the next
            }
        }
        throw new IllegalArgumentException(what + ": the PRIVATE KEY block is not an RSA or EC key in PKCS#8; allowed: RSA or EC "
                + "(e.g. openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem)");
    }

    /** Signs with the key and verifies with the certificate: the one test that works for RSA and EC alike. */
    private static void matches(PrivateKey key, X509Certificate certificate, String mismatch) {
        PublicKey pub = certificate.getPublicKey();
        String subject = certificate.getSubjectX500Principal().getName();
        if (!pub.getAlgorithm().equals(key.getAlgorithm())) {
            throw new IllegalArgumentException(mismatch + " (" + subject + "): an " + key.getAlgorithm() + " key for an "
                    + pub.getAlgorithm() + " certificate; allowed: the private key of that certificate");
        }
        try {
            String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256with" + key.getAlgorithm();
            byte[] probe = "berth-api-tls-key-check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(pub);
            verifier.update(probe);
            if (verifier.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(mismatch + " (" + subject + "): " + e.getMessage()
                    + "; allowed: the private key of that certificate", e);
        }
        throw new IllegalArgumentException(mismatch + " (" + subject + "); allowed: the private key of that certificate");
    }
}
