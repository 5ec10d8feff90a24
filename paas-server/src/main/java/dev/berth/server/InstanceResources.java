// The /v1/instances endpoints and the cluster's: one instance's record, stop/restart/kill/remove, env, logs, exec, shell; nodes and traffic.
package dev.berth.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.api.ExecResult;
import dev.berth.core.Platform;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The instance and cluster endpoints over one {@link Platform}. */
final class InstanceResources {
    /** The most lines a logs call answers. */
    static final int MAX_LINES = 10_000;
    /** The longest an exec may run. */
    static final int MAX_EXEC_SECONDS = 600;
    private final Platform platform;
    private final long heartbeatMillis;

    InstanceResources(Platform platform, long heartbeatMillis) {
        this.platform = platform;
        this.heartbeatMillis = heartbeatMillis;
    }

    List<Route> routes() {
        return List.of(
                Route.of("GET", "/v1/instances/{id}", Scope.READ, c -> Views.info(platform.info(c.param("id")))),
                Route.of("POST", "/v1/instances/{id}/stop", Scope.DEPLOY, c -> done(c, () -> platform.instance(c.param("id")).stop())),
                Route.of("POST", "/v1/instances/{id}/restart", Scope.DEPLOY,
                        c -> done(c, () -> platform.instance(c.param("id")).restart())),
                Route.of("POST", "/v1/instances/{id}/kill", Scope.ADMIN, c -> done(c, () -> platform.instance(c.param("id")).kill())),
                Route.of("DELETE", "/v1/instances/{id}", Scope.ADMIN, c -> done(c, () -> platform.instance(c.param("id")).remove())),
                Route.of("GET", "/v1/instances/{id}/env", Scope.ADMIN, c -> new java.util.TreeMap<>(
                        platform.environment(c.param("id")))),
                Route.of("GET", "/v1/instances/{id}/logs", Scope.READ, this::logs),
                Route.of("POST", "/v1/instances/{id}/exec", Scope.ADMIN, this::exec),
                Route.of("GET", "/v1/instances/{id}/shell", Scope.ADMIN, this::shell),
                Route.of("GET", "/v1/nodes", Scope.READ, c -> Views.nodes(platform.cluster())),
                Route.of("GET", "/v1/traffic", Scope.READ, c -> Views.traffic(platform.traffic())));
    }

    /** The last lines as JSON; with {@code follow=true}, those lines and every new one as a stream ({@link LogStream}). */
    private Object logs(Call c) {
        int lines = c.intQuery("lines", 100, 1, MAX_LINES);
        String follow = c.query().getOrDefault("follow", "false");
        if (!follow.equals("true") && !follow.equals("false")) {
            throw new ApiException(400, "query parameter follow is not allowed: " + follow, "follow", follow, "true or false");
        }
        if (follow.equals("true")) {
            return LogStream.of(platform.instance(c.param("id")), lines, heartbeatMillis);
        }
        return Views.fields("id", c.param("id"), "lines", platform.logs(c.param("id"), lines));
    }

    /**
     * {@code ?cols=80&rows=24&command=/bin/sh}: a terminal in the instance over a WebSocket
     * ({@link TerminalSocket}); opened before the upgrade, so a missing instance or a backend
     * without terminals is a JSON error.
     */
    private Object shell(Call c) {
        int cols = c.intQuery("cols", 80, 1, 1000);
        int rows = c.intQuery("rows", 24, 1, 1000);
        String command = c.query().getOrDefault("command", "/bin/sh");
        if (!command.matches("[A-Za-z0-9_./+-]{1,255}")) {
            throw new ApiException(400, "command must be a program's path or name", "command", command,
                    "1-255 of A-Z a-z 0-9 _ . / + - (a program, no arguments: no shell reads it)");
        }
        String id = c.param("id");
        return TerminalSocket.upgrade(platform.terminal(id, List.of(command), cols, rows), "instance " + id);
    }

    /** {"argv": ["cmd", "arg"], "timeoutSeconds": N}: the exit code and the output. */
    private Object exec(Call c) {
        JsonNode body = c.object();
        JsonNode argv = body.get("argv");
        if (argv == null || !argv.isArray() || argv.isEmpty()) {
            throw new ApiException(400, "argv must be a non-empty list of strings", "argv",
                    argv == null ? "" : argv.toString(), "[\"command\", \"arg\", ...]");
        }
        List<String> args = new ArrayList<>();
        for (JsonNode a : argv) {
            if (!a.isTextual()) {
                throw new ApiException(400, "argv must hold strings only", "argv", a.toString(), "strings");
            }
            args.add(a.asText());
        }
        JsonNode t = body.path("timeoutSeconds");
        int seconds = 30;
        if (!t.isMissingNode()) {
            if (!t.isIntegralNumber() || t.asInt() < 1 || t.asInt() > MAX_EXEC_SECONDS) {
                throw new ApiException(400, "timeoutSeconds is not allowed: " + t, "timeoutSeconds", t.toString(),
                        "1-" + MAX_EXEC_SECONDS);
            }
            seconds = t.asInt();
        }
        ExecResult r = platform.exec(c.param("id"), args, Duration.ofSeconds(seconds));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exitCode", r.exitCode());
        m.put("output", r.output());
        return m;
    }

    private static Map<String, Object> done(Call c, Runnable action) {
        action.run();
        return Views.fields("id", c.param("id"), "ok", true);
    }
}
