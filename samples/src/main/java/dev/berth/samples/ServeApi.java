// Serve's control API flags (--api-port, --api-bind, --tokens, BERTH_TOKEN): checked before anything starts, the server started after the platform.
package dev.berth.samples;

import dev.berth.core.Platform;
import dev.berth.server.ControlServer;
import dev.berth.server.Tokens;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The control API of {@link Serve}. With {@code --tokens FILE} or a {@code BERTH_TOKEN} admin
 * token in the environment, Serve starts it on {@code --api-bind}:{@code --api-port} (default
 * 127.0.0.1:4000); without either it starts none and says so.
 */
public final class ServeApi {
    /** The environment variable holding a single admin token. */
    public static final String BERTH_TOKEN = "BERTH_TOKEN";

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

    private dev.berth.server.AllowList allowList = dev.berth.server.AllowList.everyone();

    /** The tokens to serve with, or empty for no API; a bad file, token or port throws, naming the flag. */
    Optional<Tokens> check(Map<String, String> env) {
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

    /** Starts the API for {@code platform} when {@code tokens} are given, and says where (or that there is none). */
    Optional<ControlServer> start(Platform platform, Optional<Tokens> tokens, Path root) {
        if (tokens.isEmpty()) {
            System.out.println("Serve: no control API (give --tokens FILE or set " + BERTH_TOKEN + " to start one on "
                    + bind + ":" + port + ")");
            return Optional.empty();
        }
        ControlServer server = ControlServer.builder().platform(platform).bind(bind, port).tokens(tokens.get()).allow(allowList)
                .eventIndexFile(root.resolve("platform").resolve("api-event-index")).build();
        System.out.println("Serve: control API on " + server.url() + " (" + tokens.get().size() + " token(s); allowed: "
                + allowList + ")");
        return Optional.of(server);
    }
}
