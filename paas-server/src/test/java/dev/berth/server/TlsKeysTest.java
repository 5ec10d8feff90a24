// TlsKeysTest: what the TLS key loading accepts, and that each refusal names the file, the problem and the way out.
package dev.berth.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TlsKeys} on certificates and keys made by the real openssl. */
class TlsKeysTest {
    private static final String CONVERT = "openssl pkcs8 -topk8 -nocrypt -in old.pem -out key.pem";

    @TempDir
    Path tmp;

    @Test
    void rsaAndEcPemKeysLoadAndDescribeTheirCertificate() throws Exception {
        TlsFiles.Pair rsa = TlsFiles.rsa(tmp.resolve("rsa"), "one");
        TlsKeys keys = TlsKeys.pem(rsa.cert(), rsa.key());
        assertThat(keys.subject()).isEqualTo("CN=one");
        assertThat(keys.notAfter()).isBetween(Instant.now().plus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(3)));
        String openssl = TlsFiles.openssl(tmp, "x509", "-in", rsa.cert().toString(), "-noout", "-fingerprint", "-sha256");
        assertThat(openssl.trim()).endsWith("=" + keys.sha256Fingerprint());
        assertThat(keys.toString()).contains("CN=one").contains(keys.sha256Fingerprint()).doesNotContain("PRIVATE");

        TlsFiles.Pair ec = TlsFiles.ec(tmp.resolve("ec"), "ec-one");
        assertThat(TlsKeys.pem(ec.cert(), ec.key()).subject()).isEqualTo("CN=ec-one");

        Path combined = tmp.resolve("combined.pem"); // key and chain in one file
        Files.write(combined, (Files.readString(ec.key()) + Files.readString(ec.cert())).getBytes(StandardCharsets.US_ASCII));
        assertThat(TlsKeys.pem(combined, combined).subject()).isEqualTo("CN=ec-one");
    }

    @Test
    void aMissingFileIsNamedWithWhatIsAllowed() throws Exception {
        TlsFiles.Pair one = TlsFiles.rsa(tmp.resolve("one"), "one");
        Path nowhere = tmp.resolve("nowhere.pem");
        assertThatThrownBy(() -> TlsKeys.pem(nowhere, one.key())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("certificate chain " + nowhere).hasMessageContaining("no such file")
                .hasMessageContaining("CERTIFICATE");
        assertThatThrownBy(() -> TlsKeys.pem(one.cert(), nowhere))
                .hasMessageContaining("private key " + nowhere).hasMessageContaining("no such file")
                .hasMessageContaining("PKCS#8 PRIVATE KEY");
        assertThatThrownBy(() -> TlsKeys.pkcs12(nowhere, new char[0]))
                .hasMessageContaining("PKCS#12 file " + nowhere).hasMessageContaining("no such file");
    }

    @Test
    void aPkcs1OrEncryptedKeyIsRefusedWithTheCommandThatConvertsIt() throws Exception {
        TlsFiles.Pair one = TlsFiles.rsa(tmp.resolve("one"), "one");
        TlsFiles.openssl(tmp, "rsa", "-in", one.key().toString(), "-traditional", "-out", "pkcs1.pem");
        assertThat(Files.readString(tmp.resolve("pkcs1.pem"))).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        assertThatThrownBy(() -> TlsKeys.pem(one.cert(), tmp.resolve("pkcs1.pem"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("private key " + tmp.resolve("pkcs1.pem"))
                .hasMessageContaining("RSA PRIVATE KEY").hasMessageContaining("PKCS#8").hasMessageContaining(CONVERT);

        TlsFiles.openssl(tmp, "pkcs8", "-topk8", "-in", one.key().toString(), "-out", "encrypted.pem", "-passout", "pass:x");
        assertThatThrownBy(() -> TlsKeys.pem(one.cert(), tmp.resolve("encrypted.pem")))
                .hasMessageContaining("encrypted").hasMessageContaining(CONVERT);
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() throws Exception {
        TlsFiles.Pair one = TlsFiles.rsa(tmp.resolve("one"), "one");
        TlsFiles.Pair two = TlsFiles.rsa(tmp.resolve("two"), "two");
        TlsFiles.Pair ec = TlsFiles.ec(tmp.resolve("ec"), "ec");
        assertThatThrownBy(() -> TlsKeys.pem(one.cert(), two.key())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("private key " + two.key()).hasMessageContaining("does not belong")
                .hasMessageContaining(one.cert().toString()).hasMessageContaining("CN=one");
        assertThatThrownBy(() -> TlsKeys.pem(one.cert(), ec.key())).hasMessageContaining("does not belong")
                .hasMessageContaining("an EC key for an RSA certificate");
    }

    @Test
    void garbageAndHalfWrittenFilesAreRefused() throws Exception {
        TlsFiles.Pair one = TlsFiles.rsa(tmp.resolve("one"), "one");
        Path garbage = Files.writeString(tmp.resolve("garbage.pem"), "not a key at all\n");
        assertThatThrownBy(() -> TlsKeys.pem(one.cert(), garbage)).hasMessageContaining("private key " + garbage)
                .hasMessageContaining("not PEM");
        String cert = Files.readString(one.cert());
        Path half = Files.writeString(tmp.resolve("half.pem"), cert.substring(0, cert.length() / 2));
        assertThatThrownBy(() -> TlsKeys.pem(half, one.key())).hasMessageContaining("certificate chain " + half)
                .hasMessageContaining("without its '-----END' line");
        assertThatThrownBy(() -> TlsKeys.pem(one.key(), one.key())).hasMessageContaining("no CERTIFICATE block");
        assertThatThrownBy(() -> TlsKeys.pem(one.cert(), one.cert())).hasMessageContaining("no PRIVATE KEY block")
                .hasMessageContaining("found CERTIFICATE");
        Path badBase64 = Files.writeString(tmp.resolve("bad64.pem"), "-----BEGIN PRIVATE KEY-----\n%%%%\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> TlsKeys.pem(one.cert(), badBase64)).hasMessageContaining("not base64");
    }

    @Test
    void pkcs12LoadsWithItsPasswordAndNamesAWrongOne() throws Exception {
        TlsFiles.Pair one = TlsFiles.rsa(tmp.resolve("one"), "one");
        Path p12 = TlsFiles.p12(one, "secret");
        assertThat(TlsKeys.pkcs12(p12, "secret".toCharArray()).subject()).isEqualTo("CN=one");
        assertThatThrownBy(() -> TlsKeys.pkcs12(p12, "wrong".toCharArray())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PKCS#12 file " + p12).hasMessageContaining("password is wrong")
                .hasMessageNotContaining("wrong\"").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> TlsKeys.pkcs12(one.cert(), "secret".toCharArray())).hasMessageContaining("PKCS#12 file");

        TlsFiles.Pair ec = TlsFiles.ec(tmp.resolve("ec"), "ec-empty");
        Path empty = TlsFiles.p12(ec, "");
        assertThat(TlsKeys.pkcs12(empty, new char[0]).subject()).isEqualTo("CN=ec-empty");
    }

    @Test
    void theBuilderChecksTheTlsOptionsAsTheyAreGiven() throws Exception {
        assertThatThrownBy(() -> ControlServer.builder().tlsReloadInterval(Duration.ofMillis(99)))
                .hasMessageContaining("tlsReloadInterval").hasMessageContaining("100ms-10m");
        assertThatThrownBy(() -> ControlServer.builder().tlsReloadInterval(Duration.ofMinutes(11)))
                .hasMessageContaining("tlsReloadInterval");
        ControlServer.builder().tlsReloadInterval(Duration.ofMillis(100)).tlsReloadInterval(Duration.ofMinutes(10));
        assertThatThrownBy(() -> ControlServer.builder().tlsPem(tmp.resolve("c"), tmp.resolve("k"))
                .tlsPkcs12(tmp.resolve("p"), new char[0])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tlsPkcs12").hasMessageContaining("tlsPem(...) is already set");
    }
}
