// The webhook module: each job POSTed as JSON to the preset's url, signed with HMAC-SHA256 under the preset's secret.
package dev.berth.hooks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.HookJob;
import dev.berth.api.InvalidSpecException;
import dev.berth.spi.HookModule;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code webhook}: POSTs each job to the option {@code url} (http or https) as
 * {@code {"id", "type", "app", "instance", "release", "node", "endpoint", "reason", "at"}}. The header
 * {@value #SIGNATURE} carries {@code t=UNIX_SECONDS,v1=HEX}, where HEX is the HMAC-SHA256 under the
 * option {@code secret} of {@code UNIX_SECONDS + "." + body}: a receiver recomputes it, compares in
 * constant time and refuses old timestamps (replays). Any answer but 2xx, or none within the
 * option {@code timeoutMs} (default 5000), fails the job, which the queue retries with back-off;
 * the job's {@code id} is the same on every retry, for dedupe.
 */
public final class WebhookModule implements HookModule {
    /** The signature header. */
    public static final String SIGNATURE = "X-Berth-Signature";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build(); // no h2c upgrade attempt on each plain-http request

    @Override
    public String name() {
        return "webhook";
    }

    @Override
    public void validate(Map<String, Object> options) {
        String url = Options.text(options, "url", null);
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new InvalidSpecException("options.url", url, "an http:// or https:// URL");
        }
        if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null) {
            throw new InvalidSpecException("options.url", url, "an http:// or https:// URL with a host");
        }
        if (options.get("secret") != null && !(options.get("secret") instanceof String)) {
            throw new InvalidSpecException("options.secret", "(not a text)", "a text of at least 16 characters");
        }
        String secret = Options.text(options, "secret", null);
        if (secret.length() < 16) {
            // the secret itself is never quoted
            throw new InvalidSpecException("options.secret", "(" + secret.length() + " characters)", "at least 16 characters");
        }
        Options.number(options, "timeoutMs", 5000, 100, 60_000);
    }

    @Override
    public void handle(HookJob job, Map<String, Object> options) throws IOException, InterruptedException {
        byte[] body = body(job);
        long t = System.currentTimeMillis() / 1000;
        HttpRequest request = HttpRequest.newBuilder(URI.create(Options.text(options, "url", null)))
                .timeout(Duration.ofMillis(Options.number(options, "timeoutMs", 5000, 100, 60_000)))
                .header("Content-Type", "application/json")
                .header(SIGNATURE, "t=" + t + ",v1=" + sign(Options.text(options, "secret", null), t, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        HttpResponse<Void> r = http.send(request, HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() / 100 != 2) {
            throw new IOException("the webhook answered " + r.statusCode());
        }
    }

    /** The job as the webhook's body. */
    static byte[] body(HookJob job) throws IOException {
        return JSON.writeValueAsBytes(JobJson.fields(job));
    }

    /** HEX of HMAC-SHA256(secret, t + "." + body). */
    public static String sign(String secret, long t, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }
}
