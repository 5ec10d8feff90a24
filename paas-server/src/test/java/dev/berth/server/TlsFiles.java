// Test certificates made by the real openssl, HTTPS clients that trust exactly them, and atomic file replacement.
package dev.berth.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/** Helpers for the TLS tests; each method fails the test (never skips it) when openssl is missing or fails. */
final class TlsFiles {
    private TlsFiles() {
    }

    /** A self-signed certificate and its key, in {@code dir}. */
    record Pair(Path cert, Path key) {
    }

    /** Runs openssl with these arguments in {@code dir}, failing with its output unless it exits 0 within 60 s. */
    static String openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>();
        argv.add("openssl");
        argv.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("openssl is needed by the TLS tests (scripts/test.sh installs it): " + e.getMessage(), e);
        }
        p.getOutputStream().close();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("openssl %s finished", argv).isTrue();
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("openssl %s: %s", argv, text).isZero();
        return text;
    }

    /** An RSA 2048 self-signed certificate for {@code CN=cn}, as {@code dir/cert.pem} and {@code dir/key.pem} (PKCS#8). */
    static Pair rsa(Path dir, String cn) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem",
                "-subj", "/CN=" + cn, "-days", "2");
        return new Pair(dir.resolve("cert.pem"), dir.resolve("key.pem"));
    }

    /** The same with an EC P-256 key. */
    static Pair ec(Path dir, String cn) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "key.pem",
                "-out", "cert.pem", "-subj", "/CN=" + cn, "-days", "2");
        return new Pair(dir.resolve("cert.pem"), dir.resolve("key.pem"));
    }

    /** A PKCS#12 file {@code dir/s.p12} of the pair, with this password. */
    static Path p12(Pair pair, String password) throws IOException, InterruptedException {
        Path dir = pair.cert().getParent();
        openssl(dir, "pkcs12", "-export", "-inkey", pair.key().toString(), "-in", pair.cert().toString(), "-out", "s.p12",
                "-passout", "pass:" + password);
        return dir.resolve("s.p12");
    }

    static X509Certificate certificate(Path pem) throws IOException, CertificateException {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** Replaces {@code target} with {@code content} in one rename, as a careful deploy tool does. */
    static void replace(Path target, byte[] content) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), ".new-", ".tmp");
        Files.write(tmp, content);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Replaces {@code target} with a copy of {@code source} in one rename. */
    static void replace(Path target, Path source) throws IOException {
        replace(target, Files.readAllBytes(source));
    }

    /**
     * A new client (so a new connection and no resumed session) that trusts exactly these
     * certificates, whatever the address they are served on (they are made for names, not 127.0.0.1).
     */
    static HttpClient client(Set<X509Certificate> trusted) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new TrustExactly(trusted)}, new SecureRandom());
        return HttpClient.newBuilder().sslContext(context).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** The subject of the certificate the server presented for this answer. */
    static String servedSubject(HttpResponse<?> answer) throws Exception {
        assertThat(answer.sslSession()).as("an HTTPS answer").isPresent();
        return ((X509Certificate) answer.sslSession().get().getPeerCertificates()[0]).getSubjectX500Principal().getName();
    }

    /** Whether something accepts connections on 127.0.0.1:port. */
    static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return s.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Accepts a server chain only when its first certificate is one of {@code trusted}. Being an
     * {@link X509ExtendedTrustManager}, it is also the one to check the host name, and does not.
     */
    private static final class TrustExactly extends X509ExtendedTrustManager {
        private final Set<X509Certificate> trusted;

        TrustExactly(Set<X509Certificate> trusted) {
            this.trusted = Set.copyOf(trusted);
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0 || !trusted.contains(chain[0])) {
                throw new CertificateException("not one of the test's certificates: "
                        + (chain == null || chain.length == 0 ? "none" : chain[0].getSubjectX500Principal()));
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("a client trust manager only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("a client trust manager only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a client trust manager only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return trusted.toArray(new X509Certificate[0]);
        }
    }
}
