package dev.berth.router.nginx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.Balance;
import dev.berth.api.Endpoint;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.RoutingTable;
import dev.berth.api.RouteSettings;
import dev.berth.api.RoutingTable.Route;
import dev.berth.api.Tls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NginxConfigTest {
    /** What a route with {@link RouteSettings#defaults()} renders in its server. */
    private static final String DEFAULT_LIMITS = "        client_max_body_size 1m;\n"
            + "        proxy_connect_timeout 5000ms;\n"
            + "        proxy_read_timeout 60000ms;\n"
            + "        proxy_send_timeout 60000ms;\n";
    private static final NginxConfig.Settings SETTINGS =
            new NginxConfig.Settings(Path.of("/srv/berth"), "127.0.0.1", 8080, 8443, 1);

    @Test
    void rendersAnUpstreamPerAppAndAServerPerDomain() {
        RoutingTable table = new RoutingTable(Map.of(
                "a.example.com", new Route("web", Balance.LEAST_CONN,
                        List.of(new Endpoint("127.0.0.1", 9001), new Endpoint("127.0.0.1", 9002))),
                "b.example.com", new Route("api", Balance.IP_HASH, List.of(new Endpoint("127.0.0.1", 9003))),
                "c.example.com", new Route("rr", Balance.ROUND_ROBIN, List.of(new Endpoint("127.0.0.1", 9004))),
                "down.example.com", new Route("down", Balance.LEAST_CONN, List.of())));

        String conf = NginxConfig.render(table, SETTINGS, "g-1");

        assertThat(conf)
                .contains("upstream berth_web {\n        least_conn;\n"
                        + "        server 127.0.0.1:9001 max_fails=0;\n"
                        + "        server 127.0.0.1:9002 max_fails=0;\n"
                        + "        keepalive 16;\n    }")
                .contains("upstream berth_api {\n        ip_hash;\n")
                .contains("upstream berth_rr {\n        server 127.0.0.1:9004")
                .doesNotContain("upstream berth_down")
                .contains("server_name a.example.com;\n" + DEFAULT_LIMITS
                        + "        location / {\n            proxy_pass http://berth_web;\n"
                        + "            proxy_next_upstream_tries 2;\n"
                        + "            proxy_next_upstream_timeout 60000ms;\n")
                .contains("server_name down.example.com;\n" + DEFAULT_LIMITS
                        + "        location / {\n            return 503 ")
                .contains("listen 127.0.0.1:8080 default_server;")
                .contains("return 404 ")
                .contains("return 200 \"g-1\\n\";")
                .contains("    proxy_next_upstream error timeout;\n")
                .doesNotContain("non_idempotent") // a POST, LOCK or PATCH is never passed on once sent
                .doesNotContain("http_502").doesNotContain("http_503") // the app's answers are answers
                .doesNotContain("fail_timeout")
                .contains("proxy_set_header Host $host;")
                .contains("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
                .contains("pid /srv/berth/nginx.pid;")
                .contains("error_log /srv/berth/logs/error.log warn;")
                .contains("access_log /srv/berth/logs/access.log berth;")
                .contains("client_body_temp_path /srv/berth/temp/client_body;")
                .doesNotContain("user root;")
                .doesNotContain("proxy_connect_timeout 5s;") // per domain now
                .doesNotContain("ssl")
                .doesNotContain("8443");
        assertThat(NginxConfig.render(RoutingTable.empty(),
                new NginxConfig.Settings(Path.of("/p"), "127.0.0.1", 80, 443, 2, "www-data www-data",
                        Path.of("/var/cache/berth/nginx-0123")), "g")).contains("user www-data www-data;\n")
                .doesNotContain("user root")
                .contains("client_body_temp_path /var/cache/berth/nginx-0123/client_body;")
                .contains("worker_processes 2;");
    }

    @Test
    void neverMarksAnInstanceFailedAndTriesEachOnceWithinTheRoutesTimeouts() {
        List<Endpoint> three = List.of(new Endpoint("127.0.0.1", 9001), new Endpoint("127.0.0.1", 9002),
                new Endpoint("10.0.0.7", 9003));
        RouteSettings quick = RouteSettings.defaults().withConnectTimeout(Duration.ofMillis(1500))
                .withReadTimeout(Duration.ofSeconds(10));
        String conf = NginxConfig.render(new RoutingTable(Map.of("a.example.com",
                new Route("web", Balance.ROUND_ROBIN, three, null, quick))), SETTINGS, "g");

        assertThat(conf).contains("        server 127.0.0.1:9001 max_fails=0;\n"
                        + "        server 127.0.0.1:9002 max_fails=0;\n"
                        + "        server 10.0.0.7:9003 max_fails=0;\n")
                .contains("            proxy_pass http://berth_web;\n"
                        + "            proxy_next_upstream_tries 3;\n"
                        + "            proxy_next_upstream_timeout 10000ms;\n        }");
    }

    @Test
    void anAppWhoseDomainsDisagreeGetsTwoUpstreams() {
        RoutingTable table = new RoutingTable(Map.of(
                "a.com", new Route("web", Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 9001))),
                "b.com", new Route("web", Balance.ROUND_ROBIN, List.of(new Endpoint("127.0.0.1", 9001))),
                "c.com", new Route("web", Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 9001)))));

        String conf = NginxConfig.render(table, SETTINGS, "g");

        assertThat(conf).contains("upstream berth_web {").contains("upstream berth_web_2 {")
                .doesNotContain("berth_web_3");
        assertThat(conf.split("proxy_pass http://berth_web;", -1)).hasSize(3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a.com; error_log /tmp/x", "a.com{", "a.com}", "a .com", "a.com\nerror_log /tmp/x",
            "a\"b.com", "a'b.com", "A.COM", ""})
    void rejectsInjectedDomains(String domain) {
        RoutingTable table = new RoutingTable(Map.of(domain,
                new Route("web", Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 9001)))));

        assertThatThrownBy(() -> NginxConfig.render(table, SETTINGS, "g"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("domain must be a host name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"web;", "web{", "we b", "web\n", "web\"", "", "-web"})
    void rejectsInjectedAppNames(String app) {
        RoutingTable table = new RoutingTable(Map.of("a.com",
                new Route(app, Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 9001)))));

        assertThatThrownBy(() -> NginxConfig.validate(table))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("routes[a.com].app");
    }

    @Test
    void rejectsPathsThatCouldBreakADirective() {
        assertThatThrownBy(() -> new NginxConfig.Settings(Path.of("/tmp/a;b"), "127.0.0.1", 80, 443, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prefix: '/tmp/a;b'");
        assertThatThrownBy(() -> new NginxConfig.Settings(Path.of("/tmp/a b"), "127.0.0.1", 80, 443, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTlsRouteListensOnTheHttpsPortToo() {
        Tls tls = Tls.of(Path.of("/etc/berth/tls/shop.pem"), Path.of("/etc/berth/tls/shop.key"));
        RoutingTable table = new RoutingTable(Map.of(
                "shop.example.com", new Route("shop", Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 9001)),
                        tls, RouteSettings.defaults()),
                "plain.example.com", new Route("plain", Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 9002)))));

        String conf = NginxConfig.render(table, SETTINGS, "g");

        assertThat(conf)
                .contains("    server {\n"
                        + "        listen 127.0.0.1:8080;\n"
                        + "        listen 127.0.0.1:8443 ssl;\n"
                        + "        server_name shop.example.com;\n"
                        + "        ssl_certificate /etc/berth/tls/shop.pem;\n"
                        + "        ssl_certificate_key /etc/berth/tls/shop.key;\n"
                        + DEFAULT_LIMITS
                        + "        location / {\n"
                        + "            proxy_pass http://berth_shop;\n")
                .contains("    server {\n"
                        + "        listen 127.0.0.1:8080;\n"
                        + "        server_name plain.example.com;\n"
                        + DEFAULT_LIMITS)
                // unknown names on the HTTPS port: no certificate, the handshake is refused
                .contains("    server {\n"
                        + "        listen 127.0.0.1:8443 ssl default_server;\n"
                        + "        server_name _;\n"
                        + "        ssl_reject_handshake on;\n"
                        + "    }\n")
                .contains("    ssl_protocols TLSv1.2 TLSv1.3;\n")
                .contains("    ssl_session_cache shared:berth_tls:10m;\n")
                .doesNotContain("http2")
                .doesNotContain("return 301");
        assertThat(conf.split("listen 127.0.0.1:8443", -1)).as("default https server and shop").hasSize(3);
    }

    @Test
    void anIpv6ListenAddressIsBracketedForBothPorts() {
        RoutingTable table = new RoutingTable(Map.of("a.com", new Route("web", Balance.LEAST_CONN, List.of(),
                Tls.of(Path.of("/c.pem"), Path.of("/k.pem")), RouteSettings.defaults())));

        String conf = NginxConfig.render(table, new NginxConfig.Settings(Path.of("/p"), "::1", 80, 443, 1), "g");

        assertThat(conf).contains("listen [::1]:80;").contains("listen [::1]:443 ssl;")
                .contains("listen [::1]:443 ssl default_server;");
    }

    @Test
    void rendersEachRoutesBodyLimitAndTimeoutsInMilliseconds() {
        RouteSettings unlimited = new RouteSettings(0, Duration.ofMillis(250), Duration.ofMillis(1500));
        RouteSettings largest = new RouteSettings(102_400, Duration.ofHours(1), Duration.ofDays(1));
        RoutingTable table = new RoutingTable(Map.of(
                "a.com", new Route("a", Balance.LEAST_CONN, List.of(new Endpoint("127.0.0.1", 9001)), null, unlimited),
                "b.com", new Route("b", Balance.LEAST_CONN, List.of(), null, largest)));

        String conf = NginxConfig.render(table, SETTINGS, "g");

        assertThat(conf)
                .contains("server_name a.com;\n"
                        + "        client_max_body_size 0;\n"
                        + "        proxy_connect_timeout 250ms;\n"
                        + "        proxy_read_timeout 1500ms;\n"
                        + "        proxy_send_timeout 1500ms;\n")
                .contains("server_name b.com;\n"
                        + "        client_max_body_size 102400m;\n"
                        + "        proxy_connect_timeout 3600000ms;\n"
                        + "        proxy_read_timeout 86400000ms;\n"
                        + "        proxy_send_timeout 86400000ms;\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"relative.pem", "/a b.pem", "/a;b.pem", "/a{b}.pem", "/a/../b.pem", "/a/..", "/a\"b.pem",
            "/a\nssl_certificate_key /x"})
    void rejectsCertificatePathsThatCouldBreakADirective(String path) {
        assertThatThrownBy(() -> Tls.checkPath("routes[a.com].tls.certificate", Path.of(path)))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("routes[a.com].tls.certificate")
                .hasMessageContaining("must be an absolute path");
    }

    @Test
    void theHttpsPortMustDifferFromTheHttpPort() {
        assertThatThrownBy(() -> new NginxConfig.Settings(Path.of("/p"), "127.0.0.1", 8080, 8080, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("httpsPort: 8080 is not allowed; must differ from httpPort 8080");
    }

    @Test
    void theGenerationOfARenderedFileIsReadBackForARestartedNginx() {
        String conf = NginxConfig.render(new RoutingTable(Map.of("a.example.com", new Route("web", Balance.ROUND_ROBIN,
                List.of(new Endpoint("127.0.0.1", 9001))))), SETTINGS, "0a1b2c3d-17");
        assertThat(NginxConfig.generationOf(conf)).isEqualTo("0a1b2c3d-17");
        assertThat(NginxConfig.generationOf("events {}\nhttp {}\n")).isNull();
    }
}
