// The web page over plain HTTP against a real server: login cookie, form tokens, origins, scopes, hidden env, escaping, live fragments.
package dev.berth.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.InstanceState;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a browser does, by hand: each refusal is checked to have changed nothing. The app is
 * deployed once (3 instances) for every test here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebPageHttpIT {
    private static final Pattern FORM_TOKEN = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");
    @TempDir
    static Path tmp;
    private WebFixture web;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void start() {
        web = new WebFixture(tmp);
        web.deploy(3, "one");
    }

    @AfterAll
    void stop() {
        web.close();
    }

    private HttpResponse<String> send(String method, String path, String cookie, String form, String origin) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(web.server.url() + path)).timeout(Duration.ofSeconds(20))
                .method(method, form == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(form));
        if (form != null) {
            b.header("Content-Type", "application/x-www-form-urlencoded");
        }
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        if (origin != null) {
            b.header("Origin", origin);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Logs in with {@code token}; answers the cookie to send back. */
    private String logIn(String token) throws Exception {
        HttpResponse<String> r = send("POST", "/login", null, "token=" + URLEncoder.encode(token, StandardCharsets.UTF_8),
                web.server.url());
        assertThat(r.statusCode()).isEqualTo(303);
        String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    private static String formToken(String page) {
        Matcher m = FORM_TOKEN.matcher(page);
        assertThat(m.find()).as("a form token in the page").isTrue();
        return m.group(1);
    }

    @Test
    void aPageNeedsALoginAndTheCookieIsHttpOnlyAndStrict() throws Exception {
        HttpResponse<String> anonymous = send("GET", "/", null, null, null);
        assertThat(anonymous.statusCode()).isEqualTo(303);
        assertThat(anonymous.headers().firstValue("Location")).hasValue("/login");
        HttpResponse<String> form = send("GET", "/login", null, null, null);
        assertThat(form.body()).contains("<label for=\"token\">API token</label>").contains("type=\"password\"");

        HttpResponse<String> wrong = send("POST", "/login", null, "token=not-a-known-token-0123", web.server.url());
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.headers().firstValue("Set-Cookie")).isEmpty();
        assertThat(wrong.body()).contains("that token is not known here").doesNotContain("not-a-known-token-0123");

        HttpResponse<String> fromElsewhere = send("POST", "/login", null, "token=" + WebFixture.ADMIN, "http://evil.example");
        assertThat(fromElsewhere.statusCode()).isEqualTo(403);
        assertThat(fromElsewhere.headers().firstValue("Set-Cookie")).isEmpty();

        HttpResponse<String> ok = send("POST", "/login", null, "token=" + WebFixture.ADMIN, web.server.url());
        assertThat(ok.statusCode()).isEqualTo(303);
        assertThat(ok.headers().firstValue("Set-Cookie").orElseThrow())
                .startsWith(WebSession.COOKIE + "=").contains("HttpOnly").contains("SameSite=Strict").contains("Path=/");
        String cookie = logIn(WebFixture.ADMIN);
        HttpResponse<String> apps = send("GET", "/", cookie, null, null);
        assertThat(apps.statusCode()).isEqualTo(200);
        assertThat(apps.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("script-src 'self'");
        assertThat(apps.body()).contains("href=\"/apps/web\"").contains(">web</a>");

        HttpResponse<String> out = send("POST", "/logout", cookie, "csrf=" + formToken(apps.body()), web.server.url());
        assertThat(out.statusCode()).isEqualTo(303);
        assertThat(out.headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=0");
        assertThat(send("GET", "/v1/health", null, null, null).statusCode()).isEqualTo(200); // the API is where it was
    }

    @Test
    void aFormWithoutItsTokenOrFromAnotherSiteChangesNothing() throws Exception {
        String cookie = logIn(WebFixture.ADMIN);
        String token = formToken(send("GET", "/apps/web", cookie, null, null).body());
        HttpResponse<String> noToken = send("POST", "/apps/web/scale", cookie, "instances=4", web.server.url());
        assertThat(noToken.statusCode()).isEqualTo(403);
        assertThat(noToken.body()).contains("did not come from this page");
        HttpResponse<String> wrongToken = send("POST", "/apps/web/scale", cookie, "instances=4&csrf=x" + token, null);
        assertThat(wrongToken.statusCode()).isEqualTo(403);
        HttpResponse<String> otherSite = send("POST", "/apps/web/scale", cookie, "instances=4&csrf=" + token,
                "http://evil.example");
        assertThat(otherSite.statusCode()).isEqualTo(403);
        HttpResponse<String> bad = send("POST", "/apps/web/scale", cookie, "instances=lots&csrf=" + token, web.server.url());
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("instances must be a count").contains("&#39;lots&#39;");
        assertThat(web.platform.app("web").spec().instances().count()).isEqualTo(3);

        HttpResponse<String> scaled = send("POST", "/apps/web/scale", cookie, "instances=3&csrf=" + token, web.server.url());
        assertThat(scaled.statusCode()).isEqualTo(303);
        assertThat(scaled.headers().firstValue("Location")).hasValue("/apps/web?done=scaled");
        assertThat(send("GET", "/apps/web?done=scaled", cookie, null, null).body()).contains("role=\"status\"");
    }

    @Test
    void scopesDecideTheButtonsAndTheEnvValues() throws Exception {
        String read = logIn(WebFixture.READ);
        String readPage = send("GET", "/apps/web", read, null, null).body();
        assertThat(readPage).contains("GREETING").doesNotContain(WebFixture.SECRET).doesNotContain(">Scale<")
                .doesNotContain("/kill").doesNotContain("Show the values");
        HttpResponse<String> readScales = send("POST", "/apps/web/scale", read, "instances=1&csrf=" + formToken(readPage),
                web.server.url());
        assertThat(readScales.statusCode()).isEqualTo(403);
        assertThat(readScales.body()).contains("scope (read)");
        assertThat(send("GET", "/apps/web?env=show", read, null, null).body()).doesNotContain(WebFixture.SECRET);

        String deploy = logIn(WebFixture.DEPLOY);
        String deployPage = send("GET", "/apps/web?env=show", deploy, null, null).body();
        assertThat(deployPage).contains(">Scale<").contains("/restart").doesNotContain("/kill").doesNotContain(WebFixture.SECRET);

        String admin = logIn(WebFixture.ADMIN);
        assertThat(send("GET", "/apps/web", admin, null, null).body()).contains("/kill").doesNotContain(WebFixture.SECRET)
                .contains("Show the values");
        assertThat(send("GET", "/apps/web?env=show", admin, null, null).body()).contains(WebFixture.SECRET);

        String other = logIn(WebFixture.OTHER_APP);
        assertThat(send("GET", "/", other, null, null).body()).doesNotContain("href=\"/apps/web\"").contains("No apps yet");
        assertThat(send("GET", "/apps/web", other, null, null).statusCode()).isEqualTo(403);
        assertThat(web.platform.app("web").spec().instances().count()).isEqualTo(3);
    }

    @Test
    void valuesAreTextNeverMarkupAndOnlyTheVendoredFilesAreServed() throws Exception {
        String cookie = logIn(WebFixture.READ);
        String id = web.platform.instances("web").get(0).id();
        await().atMost(Duration.ofSeconds(20)).until(() -> !web.platform.logs(id, 10).isEmpty());
        String logs = send("GET", "/instances/" + id + "/logs", cookie, null, null).body();
        assertThat(logs).contains("&lt;script&gt;alert(1)&lt;/script&gt; started " + id).doesNotContain("<script>alert");
        HttpResponse<String> htmx = send("GET", "/static/htmx.min.js", null, null, null);
        assertThat(htmx.statusCode()).isEqualTo(200);
        assertThat(htmx.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/javascript");
        assertThat(htmx.body()).contains("htmx");
        assertThat(send("GET", "/static/sse.js", null, null, null).body()).contains("sse");
        assertThat(send("GET", "/static/../pom.xml", null, null, null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/static/dev/berth/server/Tokens.class", null, null, null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/no/such/page", cookie, null, null).statusCode()).isEqualTo(404);
    }

    /** Reads lines of a live stream in another thread, so that a stream that stops sending fails the test instead of hanging it. */
    private static String readLine(BufferedReader in) throws Exception {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return in.readLine();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    @Test
    void liveLogLinesAreEscapedAndOtherAppsStreamsAreRefused() throws Exception {
        String id = web.platform.instances("web").get(0).id();
        String other = logIn(WebFixture.OTHER_APP);
        assertThat(send("GET", "/live/apps/web", other, null, null).statusCode()).isEqualTo(403);
        assertThat(send("GET", "/live/instances/" + id + "/logs", other, null, null).statusCode()).isEqualTo(403);
        assertThat(send("GET", "/live/apps/web", null, null, null).statusCode()).isEqualTo(401);

        String cookie = logIn(WebFixture.READ);
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(web.server.url() + "/live/instances/" + id
                + "/logs")).header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            web.platform.instance(id).restart(); // its first line comes again, through the follow this time
            int started = 0;
            for (String l = readLine(in); started < 2 && l != null; l = readLine(in)) {
                if (l.startsWith("data: ")) {
                    assertThat(l).startsWith("data: <div class=\"line\">").doesNotContain("<script");
                    started += l.contains("&lt;script&gt;alert(1)&lt;/script&gt; started " + id) ? 1 : 0;
                }
            }
            assertThat(started).as("the replayed first line and the followed one after the restart").isEqualTo(2);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> web.count(InstanceState.HEALTHY) == 3);
    }

    @Test
    void theLiveStreamSendsTheFragmentsAtOnceAndAfterAChange() throws Exception {
        String cookie = logIn(WebFixture.ADMIN);
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(web.server.url() + "/live/apps/web"))
                .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            List<String> events = new ArrayList<>();
            for (String l = readLine(in); events.size() < 2 && l != null; l = readLine(in)) {
                if (l.startsWith("event: ")) {
                    events.add(l.substring(7));
                }
            }
            assertThat(events).containsExactlyInAnyOrder("instances", "releases");
            String id = web.platform.instances("web").get(0).id();
            web.platform.instance(id).restart(); // a change: the instances fragment comes again
            String event = null;
            for (String l = readLine(in); event == null && l != null; l = readLine(in)) {
                if (l.startsWith("event: ")) {
                    event = l.substring(7);
                }
            }
            assertThat(event).isEqualTo("instances");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> web.count(InstanceState.HEALTHY) == 3);
    }
}
