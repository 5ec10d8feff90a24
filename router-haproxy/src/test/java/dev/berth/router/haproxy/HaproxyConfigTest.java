package dev.berth.router.haproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.Balance;
import dev.berth.api.Endpoint;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.RouteSettings;
import dev.berth.api.RoutingTable;
import dev.berth.api.RoutingTable.Route;
import dev.berth.api.Tls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HaproxyConfigTest {
    private static final HaproxyConfig.Settings SETTINGS =
            new HaproxyConfig.Settings(Path.of("/srv/berth"), "127.0.0.1", 8080, 8443, 1);
    private static final HaproxyConfig.Files FILES = new HaproxyConfig.Files(SETTINGS.generationDir("g-1"));

    private static String render(RoutingTable table) {
        HaproxyConfig.validate(table);
        return HaproxyConfig.render(Layout.of(table, Map.of()), SETTINGS, FILES, "g-1");
    }

    @Test
    void rendersABackendPerAppWithSlotsAndAFrontendThatMapsHosts() {
        RoutingTable table = new RoutingTable(Map.of(
                "a.example.com", new Route("web", Balance.LEAST_CONN,
                        List.of(new Endpoint("127.0.0.1", 9001), new Endpoint("127.0.0.1", 9002))),
                "b.example.com", new Route("api", Balance.IP_HASH, List.of(new Endpoint("127.0.0.1", 9003))),
                "c.example.com", new Route("rr", Balance.ROUND_ROBIN, List.of(new Endpoint("127.0.0.1", 9004))),
                "down.example.com", new Route("down", Balance.LEAST_CONN, List.of())));

        String conf = render(table);

        assertThat(conf)
                .contains("global\n    master-worker\n    pidfile /srv/berth/run/haproxy.pid\n    nbthread 1\n")
                .contains("stats socket /srv/berth/run/admin.sock mode 600 level admin expose-fd listeners\n")
                .contains("log stdout format raw local0 info\n")
                .contains("log-format \"%Ts.%ms %[var(txn.domain)] %ST %B %[var(txn.hdrs)] %Tt %b/%s\"")
                .contains("http-after-response set-var(txn.hdrs) res.fhdr_cnt\n")
                .contains("frontend berth_http\n    bind 127.0.0.1:8080\n")
                .doesNotContain("8443").doesNotContain("ssl crt-list")
                .contains("http-request set-var(txn.host) req.hdr(host),field(1,:),lower\n")
                .contains("http-request set-var(txn.backend) var(txn.host),map(/srv/berth/conf/gen-g-1/http.map) if !{ ssl_fc }\n")
                .contains("use_backend %[var(txn.backend)] if { var(txn.backend) -m found }\n")
                .contains("default_backend berth_default\n")
                .contains("backend berth_default\n")
                .contains("http-request return status 200 content-type text/plain string \"g-1\\n\" if { path /.berth/generation }")
                .contains("http-request return status 404 content-type text/plain string \"404 Not Found: no app is served at this host name.\\n\"")
                .contains("# app web\nbackend be_web\n    balance leastconn\n    timeout connect 5000ms\n    timeout server 60000ms\n"
                        + "    http-request return status 413 content-type text/plain string \"413 Payload Too Large: app web "
                        + "accepts request bodies up to 1 MiB.\\n\" if { req.hdr_val(content-length) gt 1048576 }\n"
                        + "    http-error status 503 content-type text/plain string \"503 Service Unavailable: app web "
                        + "has no healthy instance.\\n\"\n"
                        + "    default-server check inter 2s fall 3 rise 2\n"
                        + "    server srv1 127.0.0.1:9001\n"
                        + "    server srv2 127.0.0.1:9002\n"
                        + "    server-template srv 3-8 127.0.0.1:1 disabled\n")
                .contains("backend be_api\n    balance source\n")
                .contains("backend be_rr\n    balance roundrobin\n")
                .contains("backend be_down\n")
                .contains("    server-template srv 1-8 127.0.0.1:1 disabled\n");
        assertThat(HaproxyConfig.httpMap(Layout.of(table, Map.of()))).isEqualTo(
                "a.example.com be_web\nb.example.com be_api\nc.example.com be_rr\ndown.example.com be_down\n");
        assertThat(HaproxyConfig.httpsMap(Layout.of(table, Map.of()))).isEmpty();
    }

    @Test
    void retriesWhatFailedBeforeAnAnswerOnAnotherServerButReplaysOnlyIdempotentRequests() {
        String conf = render(new RoutingTable(Map.of("a.example.com", new Route("web", Balance.ROUND_ROBIN,
                List.of(new Endpoint("127.0.0.1", 9001), new Endpoint("127.0.0.1", 9002))))));

        assertThat(conf)
                .contains("    option redispatch 1\n    retries 2\n"
                        + "    retry-on conn-failure empty-response\n")
                .contains("    http-request disable-l7-retry unless { method GET HEAD OPTIONS TRACE PUT DELETE }\n"
                        + "    http-after-response")
                .doesNotContain("all-retryable-errors").doesNotContain("junk-response").doesNotContain("response-timeout")
                .doesNotContain(" 502").doesNotContain("retry-on 503");
    }

    @Test
    void slotsAreThePowerOfTwoAboveTwiceTheEndpointsAndAtLeastEight() {
        assertThat(Layout.slotsFor(0)).isEqualTo(8);
        assertThat(Layout.slotsFor(4)).isEqualTo(8);
        assertThat(Layout.slotsFor(5)).isEqualTo(8);
        assertThat(Layout.slotsFor(6)).isEqualTo(16);
        assertThat(Layout.slotsFor(10)).isEqualTo(16);
        assertThat(Layout.slotsFor(11)).isEqualTo(32);
        assertThat(Layout.slotsFor(2048)).isEqualTo(4096);
    }

    @Test
    void freeSlotsBetweenUsedOnesAreTemplatesOrSingleDisabledServers() {
        Layout.Backend be = new Layout.Backend("be_web", "web", Balance.ROUND_ROBIN, RouteSettings.defaults(), 8,
                new java.util.TreeMap<>(Map.of(2, new Endpoint("127.0.0.1", 9002), 4, new Endpoint("::1", 9004))));
        Layout layout = new Layout(Map.of("a.com", new Layout.Site("be_web", null, null)), Map.of("be_web", be));

        String conf = HaproxyConfig.render(layout, SETTINGS, FILES, "g");

        assertThat(conf).contains("    server srv1 127.0.0.1:1 disabled\n"
                + "    server srv2 127.0.0.1:9002\n"
                + "    server srv3 127.0.0.1:1 disabled\n"
                + "    server srv4 [::1]:9004\n"
                + "    server-template srv 5-8 127.0.0.1:1 disabled\n");
    }

    @Test
    void settingsBecomeTimeoutsAndABodyLimitPerBackend() {
        RouteSettings s = RouteSettings.defaults().withMaxBodyMb(0).withConnectTimeout(Duration.ofMillis(250))
                .withReadTimeout(Duration.ofSeconds(3));
        RoutingTable table = new RoutingTable(Map.of(
                "a.com", new Route("web", Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 1)), null, s),
                "b.com", new Route("big", Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 2)), null,
                        RouteSettings.defaults().withMaxBodyMb(100))));

        String conf = render(table);

        String web = conf.substring(conf.indexOf("backend be_web"), conf.indexOf("backend be_big"));
        assertThat(web).contains("timeout connect 250ms\n    timeout server 3000ms\n").doesNotContain("status 413");
        assertThat(conf).contains("up to 100 MiB.\\n\" if { req.hdr_val(content-length) gt 104857600 }");
    }

    @Test
    void tlsDomainsGetAnHttpsBindWithACrtListAndTheirOwnMap() {
        Tls tls = Tls.of(Path.of("/etc/certs/a.pem"), Path.of("/etc/certs/a.key"));
        RoutingTable table = new RoutingTable(Map.of(
                "a.com", new Route("web", Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 1)), tls,
                        RouteSettings.defaults()),
                "plain.com", new Route("web", Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 1)))));
        Layout layout = Layout.of(table, Map.of("a.com", "digest"));

        String conf = HaproxyConfig.render(layout, SETTINGS, FILES, "g-1");

        assertThat(conf)
                .contains("bind 127.0.0.1:8443 ssl crt-list /srv/berth/conf/gen-g-1/crt-list strict-sni alpn h2,http/1.1\n")
                .contains("map(/srv/berth/conf/gen-g-1/https.map) if { ssl_fc }\n")
                .contains("ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets\n")
                .contains("ssl-default-bind-ciphers " + HaproxyConfig.TLS12_CIPHERS + "\n");
        assertThat(HaproxyConfig.httpsMap(layout)).isEqualTo("a.com be_web\n");
        assertThat(HaproxyConfig.httpMap(layout)).isEqualTo("a.com be_web\nplain.com be_web\n");
        assertThat(HaproxyConfig.crtList(layout, FILES)).isEqualTo("/srv/berth/conf/gen-g-1/a.com.pem a.com\n");
        assertThat(layout.backends()).hasSize(1);
    }

    @Test
    void anAppWhoseDomainsDisagreeGetsTwoBackends() {
        RoutingTable table = new RoutingTable(Map.of(
                "a.com", new Route("web", Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 9001))),
                "b.com", new Route("web", Balance.ROUND_ROBIN, List.of(new Endpoint("127.0.0.1", 9001))),
                "c.com", new Route("web", Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 9001)))));

        Layout layout = Layout.of(table, Map.of());

        assertThat(layout.backends()).containsOnlyKeys("be_web", "be_web_2");
        assertThat(HaproxyConfig.httpMap(layout)).isEqualTo("a.com be_web\nb.com be_web_2\nc.com be_web\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a;b.test", "a{b", "a}b.com", "a b", "a.com\nglobal", "a\"b.com", "a'b.com", "A.COM", "",
            "a#b.com", "a\\b.com", "a$b.com"})
    void rejectsInjectedDomains(String domain) {
        RoutingTable table = new RoutingTable(Map.of(domain,
                new Route("web", Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 9001)))));

        assertThatThrownBy(() -> HaproxyConfig.validate(table))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("routes[")
                .hasMessageContaining("is not allowed")
                .hasMessageContaining("domain must be a host name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"web;", "web{", "we b", "web\n", "web\"", "", "-web", "web#x", "web/x"})
    void rejectsInjectedAppNames(String app) {
        RoutingTable table = new RoutingTable(Map.of("a.com",
                new Route(app, Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 9001)))));

        assertThatThrownBy(() -> HaproxyConfig.validate(table))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("routes[a.com].app");
    }

    @Test
    void rejectsPathsThatCouldBreakAnArgument() {
        assertThatThrownBy(() -> new HaproxyConfig.Settings(Path.of("/tmp/a;b"), "127.0.0.1", 80, 443, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prefix: '/tmp/a;b'");
        assertThatThrownBy(() -> new HaproxyConfig.Settings(Path.of("/tmp/a b"), "127.0.0.1", 80, 443, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HaproxyConfig.Settings(Path.of("/tmp/a#b"), "127.0.0.1", 80, 443, 1))
                .isInstanceOf(IllegalArgumentException.class);
        // Tls refuses such paths itself; the router checks again before reading them
        assertThatThrownBy(() -> Tls.of(Path.of("/etc/a b.pem"), Path.of("/etc/k.pem")))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("routing.tls.certificate");
        assertThatThrownBy(() -> Tls.checkPath("routes[a.com].tls.key", Path.of("/etc/../k")))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("routes[a.com].tls.key");
    }

    @Test
    void tooManyEndpointsForTheSlotsAreRefused() {
        List<Endpoint> many = java.util.stream.IntStream.rangeClosed(1, 2049)
                .mapToObj(i -> new Endpoint("127.0.0.1", i)).toList();
        RoutingTable table = new RoutingTable(Map.of("a.com", new Route("web", Balance.LEAST_CONN, many)));

        assertThatThrownBy(() -> HaproxyConfig.validate(table))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("routes[a.com].endpoints")
                .hasMessageContaining("at most 2048");
    }

    @Test
    void theGenerationOfARenderedFileIsReadBackForARestartedHaproxy() {
        String conf = HaproxyConfig.render(Layout.of(new RoutingTable(Map.of("a.example.com", new Route("web",
                Balance.ROUND_ROBIN, List.of(new Endpoint("127.0.0.1", 9001))))), Map.of()), SETTINGS, FILES,
                "0a1b2c3d-17");
        assertThat(HaproxyConfig.generationOf(conf)).isEqualTo("0a1b2c3d-17");
        assertThat(HaproxyConfig.generationOf("global\n")).isNull();
    }
}
