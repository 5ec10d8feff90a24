package dev.berth.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TokensTest {
    private static final String ADMIN = "admin-token-0123456789";
    private static final String DEPLOY = "deploy-token-0123456789";

    @Test
    void aFileGrantsScopesAndAppsToPlainOrHashedTokens() throws Exception {
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(DEPLOY.getBytes(StandardCharsets.UTF_8)));
        Tokens t = Tokens.parse(List.of("# comment", "", "admin " + ADMIN, "deploy sha256:" + hash + " web,api",
                "READ read-only-token-012345"), "tokens");
        assertThat(t.size()).isEqualTo(3);
        assertThat(t.find(ADMIN)).contains(new Tokens.Grant(Scope.ADMIN, Set.of()));
        assertThat(t.find(DEPLOY)).contains(new Tokens.Grant(Scope.DEPLOY, Set.of("web", "api")));
        assertThat(t.find(DEPLOY).orElseThrow().covers("web")).isTrue();
        assertThat(t.find(DEPLOY).orElseThrow().covers("db")).isFalse();
        assertThat(t.find("read-only-token-012345").orElseThrow().scope()).isEqualTo(Scope.READ);
        assertThat(t.find("unknown-token-0123456789")).isEmpty();
        assertThat(t.find(null)).isEmpty();
        assertThat(t.toString()).doesNotContain(hash);
    }

    @Test
    void scopesIncludeTheOnesBelow() {
        assertThat(Scope.ADMIN.allows(Scope.DEPLOY)).isTrue();
        assertThat(Scope.DEPLOY.allows(Scope.READ)).isTrue();
        assertThat(Scope.READ.allows(Scope.DEPLOY)).isFalse();
        assertThat(Scope.DEPLOY.allows(Scope.ADMIN)).isFalse();
    }

    @Test
    void badLinesNameTheLineAndNeverQuoteTheToken() {
        assertThatThrownBy(() -> Tokens.parse(List.of("owner " + ADMIN), "f"))
                .hasMessage("f line 1: scope 'owner' is not one of read, deploy, admin");
        assertThatThrownBy(() -> Tokens.parse(List.of("admin shortsecret"), "f"))
                .hasMessageContaining("f line 1: a token must be 16-512 characters").hasMessageNotContaining("shortsecret");
        assertThatThrownBy(() -> Tokens.parse(List.of("admin " + ADMIN + " Web_App"), "f"))
                .hasMessageContaining("f line 1: app 'Web_App' is not an app name");
        assertThatThrownBy(() -> Tokens.parse(List.of("admin"), "f")).hasMessageContaining("f line 1: expected");
        assertThatThrownBy(() -> Tokens.parse(List.of("# nothing"), "f")).hasMessageContaining("no token in it");
        assertThatThrownBy(() -> Tokens.admin("short")).hasMessageContaining("the admin token").hasMessageNotContaining("short)");
    }
}
