package dev.berth.core.internal.git;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.internal.git.BasicAuthFilter.Credentials;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class PasswordsTest {
    private final byte[] digest = Passwords.digest("shortfin");

    @Test
    void onlyTheSamePasswordMatches() {
        assertThat(Passwords.matches(digest, "shortfin")).isTrue();
        assertThat(Passwords.matches(digest, "shortfi")).isFalse();
        assertThat(Passwords.matches(digest, "shortfin ")).isFalse();
        assertThat(Passwords.matches(digest, "Shortfin")).isFalse();
        assertThat(Passwords.matches(digest, "")).isFalse();
        assertThat(Passwords.matches(digest, null)).isFalse();
        assertThat(Passwords.matches(Passwords.digest("pässwörd"), "pässwörd")).isTrue();
        assertThat(Passwords.matches(Passwords.digest("pässwörd"), "passwort")).isFalse();
    }

    @Test
    void theDigestHasOneLengthWhateverThePassword() {
        assertThat(Passwords.digest("x")).hasSize(32);
        assertThat(Passwords.digest("x".repeat(10_000))).hasSize(32);
        assertThat(Passwords.digest("shortfin")).isEqualTo(digest).isNotSameAs(digest);
    }

    @Test
    void basicCredentialsAreParsedStrictly() {
        assertThat(Credentials.parse(basic("git:shortfin"))).isEqualTo(new Credentials("git", "shortfin"));
        assertThat(Credentials.parse("basic " + b64("anyone:pass:with:colons")))
                .isEqualTo(new Credentials("anyone", "pass:with:colons"));
        assertThat(Credentials.parse(basic(":pw"))).isEqualTo(new Credentials("", "pw"));
        assertThat(Credentials.parse(null)).isNull();
        assertThat(Credentials.parse("Bearer abc")).isNull();
        assertThat(Credentials.parse("Basic !!notbase64")).isNull();
        assertThat(Credentials.parse(basic("nocolon"))).isNull();
        assertThat(Credentials.parse("Basic " + Base64.getEncoder().encodeToString(new byte[] {'a', ':', (byte) 0xff})))
                .isNull();
        assertThat(new Credentials("git", "shortfin").toString()).doesNotContain("shortfin");
    }

    private static String basic(String userPass) {
        return "Basic " + b64(userPass);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
