package dev.berth.core.internal.git;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP basic authentication in front of every git request (fetch and push). Any user name is
 * accepted (git's URL carries one; Mako's is {@code git}); the password must match, compared in
 * constant time ({@link Passwords}). A missing or wrong password gets {@code 401} with
 * {@code WWW-Authenticate: Basic realm="berth"} and goes no further, so nothing is created or
 * written. An accepted request goes on wrapped so that {@code getRemoteUser()} is the user name
 * and {@link #AUTHENTICATED} is set. Neither the password, the user name nor the header is ever logged.
 */
final class BasicAuthFilter implements Filter {
    private static final Logger LOG = LoggerFactory.getLogger(BasicAuthFilter.class);
    /** Request attribute set to {@code Boolean.TRUE} on a request whose password was right. */
    static final String AUTHENTICATED = BasicAuthFilter.class.getName() + ".authenticated";
    static final String REALM = "berth";
    /** User name given to the rest of the chain when the URL had none ({@code http://:pw@host/app}). */
    static final String DEFAULT_USER = "git";

    private final byte[] passwordDigest;

    BasicAuthFilter(byte[] passwordDigest) {
        this.passwordDigest = passwordDigest.clone();
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest req = (HttpServletRequest) request;
        HttpServletResponse res = (HttpServletResponse) response;
        Credentials given = Credentials.parse(req.getHeader("Authorization"));
        if (given == null || !Passwords.matches(passwordDigest, given.password())) {
            // git first asks without credentials, then again with them: a missing header is normal.
            // The user name is not logged either: people put the password there by mistake.
            if (given != null) {
                LOG.warn("git server: wrong password from {} ({} {})",
                        req.getRemoteAddr(), req.getMethod(), LogSafe.printable(req.getRequestURI()));
            }
            res.setHeader("WWW-Authenticate", "Basic realm=\"" + REALM + "\", charset=\"UTF-8\"");
            res.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
            res.setContentType("text/plain;charset=utf-8");
            // git shows this as "remote: ..." when the password it sent was refused.
            res.getWriter().write(given == null
                    ? "berth: the git server needs its password: http://git:PASSWORD@HOST:PORT/APP\n"
                    : "berth: wrong password for the git server (the platform's MASTER_PASS): http://git:PASSWORD@HOST:PORT/APP\n");
            return;
        }
        String user = given.user().isEmpty() ? DEFAULT_USER : given.user();
        req.setAttribute(AUTHENTICATED, Boolean.TRUE);
        chain.doFilter(new Authenticated(req, user), response);
    }

    /** User and password of a {@code Basic} Authorization header. */
    record Credentials(String user, String password) {
        @Override
        public String toString() {
            return "Credentials[user=" + user + ", password=***]";
        }

        /** The credentials of a header value, or null when it is absent or not well-formed Basic. */
        static Credentials parse(String header) {
            if (header == null || header.length() < 6 || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
                return null;
            }
            String decoded;
            try {
                byte[] raw = Base64.getDecoder().decode(header.substring(6).trim());
                decoded = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(raw)).toString();
            } catch (IllegalArgumentException | CharacterCodingException e) {
                return null;
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                return null;
            }
            return new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1));
        }
    }

    /** The request as seen past authentication. */
    private static final class Authenticated extends HttpServletRequestWrapper {
        private final String user;

        Authenticated(HttpServletRequest request, String user) {
            super(request);
            this.user = user;
        }

        @Override
        public String getRemoteUser() {
            return user;
        }

        @Override
        public Principal getUserPrincipal() {
            return () -> user;
        }

        @Override
        public String getAuthType() {
            return HttpServletRequest.BASIC_AUTH;
        }
    }
}
