// Endpoint changes through haproxy's Runtime API (the admin socket): the planned commands sent, the server states checked, checked-down servers put up.
package dev.berth.router.haproxy;

import dev.berth.support.ConfigSwap;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a {@link Planner.Runtime} plan through haproxy's Runtime API on the admin socket
 * ({@link Cli}): writes the configuration file with the new server slots first, sends the
 * {@code set server} commands, and checks haproxy's {@code show servers state} of the touched
 * backends; {@link #revive()} puts up servers that haproxy's checks hold down although the table
 * lists them. Not thread-safe: the router's lock guards every call.
 */
final class RuntimeApi {
    /** How long one CLI call may take. */
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(RuntimeApi.class);

    /** A Runtime API command failed or haproxy's state did not come out as planned. */
    static final class Failed extends Exception {
        private static final long serialVersionUID = 1L;

        Failed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final HaproxyConfig.Settings settings;
    private final ConfigSwap swap;
    private final Generations generations;

    RuntimeApi(HaproxyConfig.Settings settings, ConfigSwap swap, Generations generations) {
        this.settings = settings;
        this.swap = swap;
        this.generations = generations;
    }

    /**
     * Writes the file with the new slots (so that a later reload, by anyone, keeps the endpoints;
     * no {@code haproxy -c}, as only server addresses differ from the validated file), sends the
     * commands, and checks haproxy's {@code show servers state} of the touched backends.
     *
     * @throws Failed when a command failed or a server's state is not as planned (then what runs is not known)
     * @throws dev.berth.api.BerthException when the file cannot be written
     */
    void apply(Planner.Runtime plan) throws Failed {
        String text = HaproxyConfig.render(plan.layout(), settings, generations.currentFiles(), generations.current());
        swap.write(text);
        // the commands, then the state of the backends they touch: one round trip when it fits a line
        List<String> commands = new ArrayList<>(plan.commands());
        plan.backends().forEach(b -> commands.add("show servers state " + b));
        String answer;
        try {
            answer = Cli.callAll(settings.adminSocket(), commands, TIMEOUT);
        } catch (IOException e) {
            throw new Failed("admin socket " + settings.adminSocket() + ": " + e.getMessage(), e);
        }
        Map<String, ServerState> states = ServerState.parse(answer);
        List<String> wrong = new ArrayList<>();
        for (String b : plan.backends()) {
            wrong.addAll(ServerState.mismatches(plan.layout().backends().get(b), states));
        }
        if (!wrong.isEmpty()) {
            // what the commands answered, without the state table (its format version line included)
            String said = answer.lines().filter(l -> !l.isBlank() && !l.startsWith("#") && !l.matches("\\d+")
                    && l.split(" ").length < 19).collect(Collectors.joining(" | "));
            throw new Failed(String.join("; ", wrong) + " (haproxy said: " + said + ")", null);
        }
        swap.accepted(text);
        generations.layout(plan.layout());
    }

    /** Puts up the servers haproxy's checks hold down although the table lists them ({@link Revival}). */
    void revive() {
        try {
            List<String> up = Revival.revive(settings.adminSocket(), generations.layout(), TIMEOUT);
            if (!up.isEmpty()) {
                LOG.info("haproxy router: {} held down by its health checks, listed as ready by the table: put up",
                        up);
            }
        } catch (IOException e) {
            LOG.warn("haproxy router: cannot read the server states on {}: {}", settings.adminSocket(),
                    e.getMessage());
        }
    }

    /** The pid of the worker that answers the admin socket, if one does. */
    OptionalLong workerPid() {
        return Cli.workerPid(settings.adminSocket(), TIMEOUT);
    }
}
