// Commands that start a rollout (deploy, rollback, config:set/unset): they follow it on the event stream until it ends.
package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * A command whose call starts a rolling update: it opens the app's event stream first, makes the
 * call, then prints the rollout's progress (instances started, healthy, exited) until the
 * platform says it succeeded (exit 0) or failed or was rolled back (exit 1). {@code --detach}
 * returns at once; {@code --timeout} bounds the wait. With {@code --json} it prints one object:
 * {@code app}, {@code release}, {@code outcome} ({@code succeeded}, {@code failed},
 * {@code rolled_back}, {@code unchanged} or {@code detached}) and {@code reason}.
 */
abstract class ProgressCommand extends ClientCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--detach", description = "return once the change is recorded, without following the rollout")
    boolean detach;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "900",
            description = "the longest to follow a rollout (default: ${DEFAULT-VALUE} s); then exit 1, the rollout goes on")
    int timeoutSeconds;

    /** Makes the call ({@code action}, answering {@code release}) and follows the rollout it starts. */
    int rollout(ApiClient api, String app, Supplier<JsonNode> action) throws IOException {
        String before = currentRelease(api, app);
        if (detach) {
            return report(app, action.get().path("release").asText(), "detached", null);
        }
        try (ApiClient.Events events = api.stream("v1/events?app=" + seg(app))) {
            events.awaitOpen();
            String release = action.get().path("release").asText();
            if (release.equals(before)) {
                return report(app, release, "unchanged", "the spec makes no new release (only the count, if anything, changed)");
            }
            say("app " + app + ": release " + release + " rolling out" + (before == null ? "" : " over " + before));
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "berth-timeout");
                t.setDaemon(true);
                return t;
            });
            java.util.concurrent.atomic.AtomicBoolean timedOut = new java.util.concurrent.atomic.AtomicBoolean();
            timer.schedule(() -> {
                timedOut.set(true);
                events.close();
            }, timeoutSeconds, TimeUnit.SECONDS);
            try {
                return follow(events, app, release);
            } catch (IOException e) {
                if (timedOut.get()) {
                    return report(app, release, "timeout", "still rolling out after " + timeoutSeconds + " s (see berth events)");
                }
                throw new CliException("the event stream ended before the rollout did: " + e.getMessage()
                        + " (see berth releases " + app + ")", e);
            } finally {
                timer.shutdownNow();
            }
        }
    }

    private int follow(ApiClient.Events events, String app, String release) throws IOException {
        ApiClient.Events.Event e;
        while ((e = events.next()) != null) {
            if (e.type().equals("resync")) {
                say("  (some events were missed; see berth releases " + app + ")");
                continue;
            }
            JsonNode ev = JSON.readTree(e.data());
            String type = ev.path("type").asText();
            boolean ours = release.equals(ev.path("release").asText(release));
            switch (type) {
                case "InstanceStarted" -> say("  " + ev.path("instance").asText() + " started on " + ev.path("node").asText());
                case "InstanceHealthy" -> say("  " + ev.path("instance").asText() + " healthy");
                case "InstanceExited" -> say("  " + ev.path("instance").asText() + " exited: " + ev.path("exit").asText());
                case "DeployProgress" -> {
                    if (ours) {
                        say("  " + ev.path("healthy").asInt() + " of " + ev.path("of").asInt() + " healthy");
                    }
                }
                case "DeploySucceeded" -> {
                    if (ours) {
                        return report(app, release, "succeeded", "rolled out in " + human(ev.path("took").asText()));
                    }
                }
                case "DeployFailed" -> {
                    if (ours) {
                        String back = ev.path("rolledBackTo").asText(null);
                        return report(app, release, back == null ? "failed" : "rolled_back", ev.path("reason").asText()
                                + (back == null ? "" : "; rolled back to " + back));
                    }
                }
                default -> { }
            }
        }
        throw new IOException("the server closed it");
    }

    /** An ISO-8601 duration ({@code PT0.37S}) as people read it: {@code 370 ms}, {@code 12.4 s}; as it is when not one. */
    static String human(String iso) {
        try {
            long ms = java.time.Duration.parse(iso).toMillis();
            return ms < 10_000 ? ms + " ms" : String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
        } catch (java.time.format.DateTimeParseException e) {
            return iso;
        }
    }

    private static String currentRelease(ApiClient api, String app) {
        try {
            return api.get("v1/apps/" + seg(app)).path("release").asText(null);
        } catch (CliException e) {
            return null; // a new app (404), or an error the call itself will report
        }
    }

    private void say(String line) {
        if (!connection.json) {
            PrintWriter out = connection.out();
            out.println(line);
            out.flush();
        }
    }

    /** Prints the outcome; 0 when it succeeded (or is unchanged or detached), 1 otherwise. */
    int report(String app, String release, String outcome, String reason) {
        boolean ok = outcome.equals("succeeded") || outcome.equals("unchanged") || outcome.equals("detached");
        if (connection.json) {
            ObjectNode o = JSON.createObjectNode().put("app", app).put("release", release).put("outcome", outcome);
            o.put("reason", reason);
            connection.printJson(o);
        } else {
            say("app " + app + ": release " + release + " " + outcome.replace('_', ' ') + (reason == null ? "" : ": " + reason));
        }
        return ok ? 0 : 1;
    }
}
