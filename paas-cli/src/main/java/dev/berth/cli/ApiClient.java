// Talks to Berth's control API over HTTP: JSON calls with the bearer token, errors as messages that say what to do, and event streams.
package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The client side of the control API ({@code docs/api.md}): {@link #call} sends JSON and answers
 * the JSON body of a 2xx; any other answer becomes a {@link CliException} with the server's error
 * (field, value, what is allowed), a missing server or a refused token one that says what to do.
 * {@link #stream} opens a Server-Sent Events stream (events, logs). The token goes in the
 * {@code Authorization} header only, never in a message.
 */
final class ApiClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    ApiClient(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    /** GET {@code path}. */
    JsonNode get(String path) {
        return call("GET", path, null);
    }

    /** {@code method} on {@code path} with {@code body} as JSON (or none); the answer's JSON. */
    JsonNode call(String method, String path, Object body) {
        HttpRequest.Builder b = request(path).timeout(Duration.ofMinutes(2)).header("Accept", "application/json");
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            try {
                b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            } catch (IOException e) {
                throw new CliException("cannot encode the request: " + e.getMessage(), e);
            }
        }
        HttpResponse<byte[]> r = send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        JsonNode answer = parse(r.body());
        if (r.statusCode() / 100 != 2) {
            throw failure(r.statusCode(), answer);
        }
        return answer;
    }

    /** Opens {@code path} as a stream of Server-Sent Events; the caller closes it. */
    Events stream(String path) {
        HttpRequest req = request(path).header("Accept", "text/event-stream").GET().build();
        HttpResponse<InputStream> r = send(req, HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() / 100 != 2) {
            try (InputStream in = r.body()) {
                throw failure(r.statusCode(), parse(in.readAllBytes()));
            } catch (IOException e) {
                throw failure(r.statusCode(), null);
            }
        }
        return new Events(r.body());
    }

    /** The absolute URI of {@code path}. */
    URI uri(String path) {
        return base.resolve(path);
    }

    /** The failure a server's answer of {@code status} with {@code body} (JSON or not) means. */
    CliException failureOf(int status, String body) {
        return failure(status, parse(body.getBytes(StandardCharsets.UTF_8)));
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
        if (token != null && !token.isEmpty()) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(req, handler);
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new CliException("no Berth server answers at " + base + ": start one with `berth serve --manifests DIR` "
                    + "(with BERTH_TOKEN set), or point BERTH_ADDR (or --addr) at yours", e);
        } catch (IOException e) {
            throw new CliException("the Berth server at " + base + " did not answer: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted", e);
        }
    }

    private static JsonNode parse(byte[] body) {
        try {
            return body.length == 0 ? JSON.nullNode() : JSON.readTree(body);
        } catch (IOException e) {
            return JSON.nullNode(); // not JSON: the status says it all
        }
    }

    private CliException failure(int status, JsonNode error) {
        if (status == 401) {
            return new CliException("the server at " + base + " did not accept the token: set BERTH_TOKEN (or --token) "
                    + "to a token it knows (the one `berth serve` was started with, or a line of its --tokens file)");
        }
        StringBuilder m = new StringBuilder();
        String text = error == null ? "" : error.path("error").asText("");
        m.append(text.isEmpty() ? "the server answered " + status : text);
        if (error != null && error.hasNonNull("field")) {
            m.append(" (field '").append(error.get("field").asText()).append("'");
            if (error.hasNonNull("value") && !error.get("value").asText().isEmpty()) {
                m.append(" is ").append(error.get("value"));
            }
            if (error.hasNonNull("allowed")) {
                m.append("; allowed: ").append(error.get("allowed").asText());
            }
            m.append(")");
        }
        if (status == 403 && text.isEmpty()) {
            m.append(": the token's scope or apps do not allow this");
        }
        return new CliException(m.toString());
    }

    /** A stream of Server-Sent Events: each {@link #next} is one event, or null at its end. */
    static final class Events implements AutoCloseable {
        /** One event: its id (or null), its type ({@code message} unless named) and its data. */
        record Event(String id, String type, String data) {
        }

        private final InputStream raw;
        private final BufferedReader in;
        private String opening;

        Events(InputStream raw) {
            this.raw = raw;
            this.in = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8));
        }

        /** The next event, or null when the stream ended; comment lines are kept as {@link #lastComment}. */
        Event next() throws IOException {
            String id = null;
            String type = "message";
            StringBuilder data = null;
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null) {
                        return new Event(id, type, data.toString());
                    }
                    continue;
                }
                if (line.startsWith(":")) {
                    opening = opening == null ? line.substring(1).strip() : opening;
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1).replaceFirst("^ ", "");
                switch (field) {
                    case "id" -> id = value;
                    case "event" -> type = value;
                    case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                    default -> { }
                }
            }
            return null;
        }

        /** Reads until the server's opening comment (the stream is then live), and answers it. */
        String awaitOpen() throws IOException {
            String line;
            while (opening == null && (line = in.readLine()) != null) {
                if (line.startsWith(":")) {
                    opening = line.substring(1).strip();
                }
            }
            return opening;
        }

        /** The first comment the server sent (such as "berth events after 42"), or null. */
        String lastComment() {
            return opening;
        }

        /**
         * Ends the stream, also from another thread: the response's own stream is closed (not the
         * reader, whose lock a blocked read holds), so a read in progress fails at once.
         */
        @Override
        public void close() {
            try {
                raw.close();
            } catch (IOException e) {
                // closing a stream the server may already have ended: nothing to tell
            }
        }
    }
}
