// berth events [-f] [--app APP] [--type TYPE]: the platform's events, the recent ones or live.
package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The events the server still holds (up to its buffer), then, with {@code -f}, every new one
 * until interrupted; one line each ({@code --json}: one JSON object per line, the API's fields).
 * Without {@code -f} the server ends the stream once it has sent what it holds ({@code follow=false}).
 */
@Command(name = "events", description = "The platform's events: the recent ones, or live with -f.")
final class EventsCommand extends ClientCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = {"-f", "--follow"}, description = "keep printing new events until interrupted")
    boolean follow;

    @Option(names = "--app", paramLabel = "APP", description = "only this app's events")
    String app;

    @Option(names = "--type", paramLabel = "TYPE", description = "only events of this type, such as DeployFailed")
    String type;

    @Override
    int run(ApiClient api) throws Exception {
        StringBuilder path = new StringBuilder("v1/events?index=0&follow=").append(follow);
        if (app != null) {
            path.append("&app=").append(seg(app));
        }
        if (type != null) {
            path.append("&type=").append(seg(type));
        }
        PrintWriter out = connection.out();
        try (ApiClient.Events events = api.stream(path.toString())) {
            ApiClient.Events.Event e;
            while ((e = events.next()) != null) {
                if (e.type().equals("resync")) {
                    out.println(connection.json ? e.data() : "(older events are no longer held by the server)");
                } else {
                    out.println(connection.json ? e.data() : line(JSON.readTree(e.data())));
                }
                out.flush();
            }
        }
        return 0;
    }

    /** One event as a line: its time, type, app and the rest of its fields. */
    static String line(JsonNode e) {
        StringBuilder b = new StringBuilder();
        b.append(e.path("at").asText()).append("  ").append(e.path("type").asText());
        if (e.hasNonNull("app")) {
            b.append("  ").append(e.get("app").asText());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = e.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!java.util.Set.of("index", "type", "at", "app").contains(f.getKey()) && !f.getValue().isNull()) {
                b.append("  ").append(f.getKey()).append('=').append(f.getValue().asText());
            }
        }
        return b.toString();
    }
}
