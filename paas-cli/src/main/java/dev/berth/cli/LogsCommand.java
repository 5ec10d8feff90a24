// berth logs APP|ID [-n N] [-f]: an instance's output, or all of an app's prefixed by instance, following across respawns and rollouts.
package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The last lines of an instance ({@code web-3}), or of every instance of an app, each line
 * prefixed by its instance. With {@code -f} it keeps going: an instance's stream follows it across
 * respawns (the server does that), and for an app, instances that start later (a scale-up, a
 * rollout) are followed from their first lines, found on the app's event stream. Ctrl-C ends it.
 */
@Command(name = "logs", description = "An instance's or an app's output (-n lines, -f to follow across respawns and rollouts).")
final class LogsCommand extends ClientCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(paramLabel = "APP|ID", description = "an app, or one instance such as web-3")
    String target;

    @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "100", description = "lines to show first, 1-10000 (default: ${DEFAULT-VALUE})")
    int lines;

    @Option(names = {"-f", "--follow"}, description = "keep printing new lines until interrupted")
    boolean follow;

    private final Set<String> followed = ConcurrentHashMap.newKeySet();

    @Override
    int run(ApiClient api) throws Exception {
        List<String> ids = new ArrayList<>();
        boolean one = isInstance(api);
        if (one) {
            ids.add(target);
        } else {
            api.get("v1/apps/" + seg(target)).path("instanceRecords").forEach(r -> ids.add(r.path("id").asText()));
        }
        PrintWriter out = connection.out();
        if (!follow) {
            for (String id : ids) {
                for (JsonNode l : api.get("v1/instances/" + seg(id) + "/logs?lines=" + lines).path("lines")) {
                    print(out, one ? null : id, l.asText());
                }
            }
            return 0;
        }
        if (one) {
            followed.add(target);
            follow(api, out, target, null, lines); // until the instance is gone or Ctrl-C
            return 0;
        }
        try (ApiClient.Events appEvents = api.stream("v1/events?app=" + seg(target) + "&type=InstanceStarted")) {
            appEvents.awaitOpen(); // from here on, no new instance is missed
            for (String id : ids) {
                followInBackground(api, out, id, lines);
            }
            ApiClient.Events.Event e;
            while ((e = appEvents.next()) != null) {
                if (e.type().equals("message")) {
                    followInBackground(api, out, JSON.readTree(e.data()).path("instance").asText(), 1000);
                }
            }
        }
        throw new CliException("the server ended the event stream of app " + target);
    }

    private boolean isInstance(ApiClient api) {
        if (!target.matches(".*-[0-9]+")) {
            return false;
        }
        try {
            api.get("v1/instances/" + seg(target));
            return true;
        } catch (CliException e) {
            return false; // no such instance: an app of that name, or the app's call says what is wrong
        }
    }

    /** Follows one instance of the app on a daemon thread (once per id at a time), its lines prefixed by its id. */
    private void followInBackground(ApiClient api, PrintWriter out, String id, int first) {
        if (!followed.add(id)) {
            return;
        }
        Thread t = new Thread(() -> {
            follow(api, out, id, id, first);
            followed.remove(id);
        }, "berth-logs-" + id);
        t.setDaemon(true);
        t.start();
    }

    /** Prints an instance's followed lines until its stream ends (the instance is gone) or fails. */
    private static void follow(ApiClient api, PrintWriter out, String id, String prefix, int first) {
        try (ApiClient.Events lines = api.stream("v1/instances/" + seg(id) + "/logs?follow=true&lines=" + first)) {
            ApiClient.Events.Event e;
            while ((e = lines.next()) != null) {
                if (e.type().equals("message")) {
                    print(out, prefix, e.data());
                } else if (e.type().equals("dropped")) {
                    print(out, prefix, "(" + e.data() + " lines dropped: this terminal was too slow)");
                }
            }
        } catch (IOException | CliException e) {
            print(out, prefix, "(no longer followed: " + e.getMessage() + ")");
        }
    }

    private static void print(PrintWriter out, String prefix, String line) {
        synchronized (out) {
            out.println(prefix == null ? line : prefix + " | " + line);
            out.flush();
        }
    }
}
