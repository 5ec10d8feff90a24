// The web page's login: the token in an HttpOnly, SameSite=Strict cookie, and a form token that proves a form came from this page.
package dev.berth.server;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who is logged in to the web page. After the login form, the API token is kept in the cookie
 * {@value #COOKIE} (HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it;
 * Secure under TLS). Every form that changes something carries a form token, an HMAC of the
 * cookie's token under a key made at start, so a form posted from elsewhere is refused even by a
 * browser that ignores SameSite; a request whose {@code Origin} is another site is refused too.
 */
final class WebSession {
    /** The cookie's name. */
    static final String COOKIE = "berth_token";
    /** The form field that carries the form token. */
    static final String FORM_TOKEN = "csrf";
    private final Tokens tokens;
    private final byte[] key = new byte[32];
    private final boolean secure;

    WebSession(Tokens tokens, boolean secure) {
        this.tokens = tokens;
        this.secure = secure;
        new SecureRandom().nextBytes(key);
    }

    /** The caller, if its cookie holds a known token. */
    Optional<Caller> caller(HttpServletRequest req) {
        String token = cookie(req);
        return token == null ? Optional.empty() : tokens.find(token).map(g -> new Caller(g, formToken(token)));
    }

    /** Logs in with {@code token}: sets the cookie when it is known; empty when it is not. */
    Optional<Tokens.Grant> logIn(String token, HttpServletResponse resp) {
        Optional<Tokens.Grant> grant = tokens.find(token == null ? null : token.strip());
        grant.ifPresent(g -> setCookie(resp, token.strip(), -1));
        return grant;
    }

    /** Logs out: the cookie is cleared. */
    void logOut(HttpServletResponse resp) {
        setCookie(resp, "", 0);
    }

    /** Whether a posted form carries this caller's form token and, when the browser names one, this page's origin. */
    boolean formIsOurs(HttpServletRequest req, Caller caller) {
        String presented = req.getParameter(FORM_TOKEN);
        return sameOrigin(req) && presented != null && MessageDigest.isEqual(
                presented.getBytes(StandardCharsets.US_ASCII), caller.formToken().getBytes(StandardCharsets.US_ASCII));
    }

    /** False when the browser says the request comes from a page of another origin. */
    static boolean sameOrigin(HttpServletRequest req) {
        String origin = req.getHeader("Origin");
        if (origin == null) {
            return true; // an old browser or a script: the form token decides
        }
        String host = req.getHeader("Host");
        return host != null && origin.equalsIgnoreCase(req.getScheme() + "://" + host);
    }

    private String formToken(String token) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(token.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    private static String cookie(HttpServletRequest req) {
        Cookie[] cookies = req.getCookies();
        if (cookies != null) {
            for (Cookie c : cookies) {
                if (c.getName().equals(COOKIE) && !c.getValue().isEmpty()) {
                    return c.getValue();
                }
            }
        }
        return null;
    }

    private void setCookie(HttpServletResponse resp, String value, int maxAge) {
        // written by hand: the servlet Cookie class has no SameSite before Servlet 6.1's attributes
        StringBuilder c = new StringBuilder(COOKIE).append('=').append(value).append("; Path=/; HttpOnly; SameSite=Strict");
        if (maxAge >= 0) {
            c.append("; Max-Age=").append(maxAge);
        }
        if (secure) {
            c.append("; Secure");
        }
        resp.addHeader("Set-Cookie", c.toString());
    }

    /**
     * A logged-in caller.
     *
     * @param grant     what its token allows
     * @param formToken the form token its forms carry
     */
    record Caller(Tokens.Grant grant, String formToken) {
        boolean may(Scope scope) {
            return grant.scope().allows(scope);
        }
    }
}
