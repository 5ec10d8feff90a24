// Serve's control API flags (--api-port, --api-bind, --tokens, BERTH_TOKEN, --api-tls-*): checked before anything starts, the server started after the platform.
package dev.berth.samples;

import dev.berth.core.Platform;
import dev.berth.server.ControlServer;
import dev.berth.server.TlsKeys;
import dev.berth.server.Tokens;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The control API of {@link Serve}. With {@code --tokens FILE} or a {@code BERTH_TOKEN} admin
 * token in the environment, Serve starts it on {@code --api-bind}:{@code --api-port} (default
 * 127.0.0.1:4000); without either it starts none and says so. With {@code --api-tls-cert} and
 * {@code --api-tls-key} (PEM) or {@code --api-tls-p12} (its password in
 * {@code BERTH_API_TLS_PASSWORD}) it serves HTTPS only, reloading the files when they change.
 */
public final class ServeApi {
    /** The environment variable holding a single admin token. */
    public static final String BERTH_TOKEN = "BERTH_TOKEN";
    /** The environment variable holding the password of {@code --api-tls-p12} (never a flag: it would show in ps). */
    public static final String BERTH_API_TLS_PASSWORD = "BERTH_API_TLS_PASSWORD";

    @Option(names = "--api-port", paramLabel = "N", defaultValue = "4000",
            description = "the control API's port (default: ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    @Option(names = "--api-bind", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "the address the control API listens on (default: ${DEFAULT-VALUE})")
    String bind;

    @Option(names = "--api-allow", paramLabel = "CIDR,...",
            description = "only these addresses may call the control API, e.g. 127.0.0.1/32,10.0.0.0/8 (default: any)")
    String allow;

    @Option(names = "--tokens", paramLabel = "FILE",
            description = "the control API's tokens, one 'SCOPE TOKEN [APP,...]' per line (scope: read, deploy, admin)")
    Path tokensFile;

    @Option(names = "--api-tls-cert", paramLabel = "FILE",
            description = "serve the control API over HTTPS only with this PEM certificate chain (with --api-tls-key; "
                    + "both reloaded when they change)")
    Path tlsCert;

    @Option(names = "--api-tls-key", paramLabel = "FILE",
            description = "the PEM private key of --api-tls-cert: unencrypted PKCS#8 'PRIVATE KEY', RSA or EC")
    Path tlsKey;

    @Option(names = "--api-tls-p12", paramLabel = "FILE",
            description = "serve the control API over HTTPS only with this PKCS#12 file (password in "
                    + BERTH_API_TLS_PASSWORD + ", empty when unset; reloaded when it changes)")
    Path tlsP12;

    private dev.berth.server.AllowList allowList = dev.berth.server.AllowList.everyone();
    private char[] tlsPassword;
    private TlsKeys tlsKeys; // as checked, for the start message

    /** The tokens to serve with, or empty for no API; a bad file, token, TLS file or port throws, naming the flag. */
    Optional<Tokens> check(Map<String, String> env) {
        checkTls(env);
        Tokens tokens;
        if (tokensFile != null) {
            tokens = Tokens.load(tokensFile);
        } else if (env.get(BERTH_TOKEN) != null) {
            try {
                tokens = Tokens.admin(env.get(BERTH_TOKEN));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(BERTH_TOKEN + ": " + e.getMessage(), e);
            }
        } else {
            return Optional.empty();
        }
        if (allow != null) {
            try {
                allowList = dev.berth.server.AllowList.parse(allow);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--api-allow: " + e.getMessage(), e);
            }
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(bind);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("--api-bind: '" + bind + "' is not an address of this machine", e);
        }
        Preflight.port("--api-port", port, true, address);
        return Optional.of(tokens);
    }

    /** Checks the TLS flags and loads their key pair once, so a bad file refuses the start. */
    private void checkTls(Map<String, String> env) {
        if (tlsP12 != null && (tlsCert != null || tlsKey != null)) {
            throw new IllegalArgumentException("--api-tls-p12 cannot go with --api-tls-cert/--api-tls-key: give the PEM pair "
                    + "or the PKCS#12 file, not both");
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--api-tls-cert and --api-tls-key go together: give both (the PEM certificate "
                    + "chain and its private key) or neither; " + (tlsCert == null ? "--api-tls-cert" : "--api-tls-key")
                    + " is missing");
        }
        try {
            if (tlsCert != null) {
                tlsKeys = TlsKeys.pem(tlsCert, tlsKey);
            } else if (tlsP12 != null) {
                String password = env.get(BERTH_API_TLS_PASSWORD);
                tlsPassword = password == null ? new char[0] : password.toCharArray();
                tlsKeys = TlsKeys.pkcs12(tlsP12, tlsPassword);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((tlsCert != null ? "--api-tls-cert/--api-tls-key: "
                    : "--api-tls-p12 (password from " + BERTH_API_TLS_PASSWORD + "): ") + e.getMessage(), e);
        }
    }

    /** Starts the API for {@code platform} when {@code tokens} are given, and says where (or that there is none). */
    Optional<ControlServer> start(Platform platform, Optional<Tokens> tokens, Path root, dev.berth.hooks.Hooks hooks) {
        if (tokens.isEmpty()) {
            System.out.println("Serve: no control API (give --tokens FILE or set " + BERTH_TOKEN + " to start one on "
                    + bind + ":" + port + ")");
            return Optional.empty();
        }
        ControlServer server = configure(ControlServer.builder().platform(platform).bind(bind, port), tokens.get()).hooks(hooks)
                .eventIndexFile(root.resolve("platform").resolve("api-event-index")).build();
        say(server.url(), tokens.get());
        return Optional.of(server);
    }

    /** {@code builder} with the tokens, the allow-list and the TLS keys of the flags. */
    ControlServer.Builder configure(ControlServer.Builder builder, Tokens tokens) {
        builder.tokens(tokens).allow(allowList);
        if (tlsCert != null) {
            builder.tlsPem(tlsCert, tlsKey);
        } else if (tlsP12 != null) {
            builder.tlsPkcs12(tlsP12, tlsPassword);
        }
        return builder;
    }

    /** This API's URL by the flags (https with TLS), as other controllers reach it. */
    String url() {
        String host = bind.contains(":") ? "[" + bind + "]" : bind;
        return (tlsKeys == null ? "http" : "https") + "://" + host + ":" + port;
    }

    /** Says where the API and the web page are. */
    void say(String url, Tokens tokens) {
        System.out.println("Serve: control API on " + url + " (" + tokens.size() + " token(s); allowed: "
                + allowList + (tlsKeys == null ? "" : "; certificate " + tlsKeys + ", reloaded when its files change") + ")");
        System.out.println("Serve: web page on " + url + "/ (log in with a token)");
    }
}
