package dev.berth.router.nginx;

import static dev.berth.router.nginx.Fixtures.get;
import static dev.berth.router.nginx.Fixtures.https;
import static dev.berth.router.nginx.Fixtures.trusting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.Balance;
import dev.berth.api.BerthException;
import dev.berth.api.Endpoint;
import dev.berth.api.RouteSettings;
import dev.berth.api.RoutingTable;
import dev.berth.api.RoutingTable.Route;
import dev.berth.api.Tls;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS through the real nginx (Debian's package) with self-signed certificates made by the openssl
 * CLI; fails, never skips, when either is missing. Traffic stays on 127.0.0.1.
 */
class NginxTlsIT {
    @TempDir
    Path dir;

    private Fixtures fx;

    @BeforeEach
    void fixtures() {
        fx = new Fixtures(dir);
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    @Test
    void servesEachTlsDomainWithItsCertificateByNameAndStillOverPlainHttp() throws Exception {
        Fixtures.Cert tlsCert = fx.selfSigned("tls.test");
        Fixtures.Cert otherCert = fx.selfSigned("other.test");
        Endpoint t1 = fx.upstream("t1");
        Endpoint o1 = fx.upstream("o1");
        Endpoint p1 = fx.upstream("p1");
        int httpsPort = Fixtures.freePort();
        NginxRouter router = fx.router("nginx", b -> b.httpsPort(httpsPort));

        router.apply(new RoutingTable(Map.of(
                "tls.test", tlsRoute("tlsapp", t1, tlsCert),
                "other.test", tlsRoute("otherapp", o1, otherCert),
                "plain.test", new Route("plainapp", Balance.LEAST_CONN, List.of(p1)))));

        SSLContext trustsTls = trusting(tlsCert.certificate());
        SSLContext trustsOther = trusting(otherCert.certificate());
        // each name gets its own certificate (a client that trusts only that one accepts it)
        assertThat(https(httpsPort, "tls.test", trustsTls).status()).isEqualTo(200);
        assertThat(https(httpsPort, "tls.test", trustsTls).body()).isEqualTo("t1 https");
        assertThat(https(httpsPort, "other.test", trustsOther).body()).isEqualTo("o1 https");
        assertThatThrownBy(() -> https(httpsPort, "other.test", trustsTls)).isInstanceOf(SSLException.class);
        // plain HTTP still serves the TLS domain, without a redirect
        int httpPort = Fixtures.httpPort(router);
        Fixtures.Response plain = get(httpPort, "tls.test");
        assertThat(plain.status()).isEqualTo(200);
        assertThat(plain.body()).isEqualTo("t1 http");
        // a name without a certificate, or unknown, is refused in the handshake
        assertThatThrownBy(() -> https(httpsPort, "plain.test", trustsTls)).isInstanceOf(SSLException.class)
                .hasMessageContaining("unrecognized_name");
        assertThatThrownBy(() -> https(httpsPort, "nobody.test", trustsTls)).isInstanceOf(SSLException.class)
                .hasMessageContaining("unrecognized_name");

        // without TLS routes nginx no longer listens on the HTTPS port
        router.apply(new RoutingTable(Map.of("plain.test", new Route("plainapp", Balance.LEAST_CONN, List.of(p1)))));
        assertThatThrownBy(() -> https(httpsPort, "tls.test", trustsTls)).isInstanceOf(ConnectException.class);
        assertThat(get(httpPort, "plain.test").body()).isEqualTo("p1 http");
    }

    @Test
    void nginxAcceptsARenderedTlsConfigurationWithTheExtremeSettings() throws Exception {
        Fixtures.Cert cert = fx.selfSigned("tls.test");
        NginxRouter router = fx.router("nginx", b -> b);
        Tls tls = Tls.of(cert.certificate(), cert.key());
        Endpoint e = new Endpoint("127.0.0.1", 9);
        RoutingTable table = new RoutingTable(Map.of(
                "min.test", new Route("min", Balance.IP_HASH, List.of(e), tls,
                        new RouteSettings(0, Duration.ofMillis(1), Duration.ofMillis(1))),
                "max.test", new Route("max", Balance.ROUND_ROBIN, List.of(e), tls,
                        new RouteSettings(102_400, Duration.ofHours(1), Duration.ofDays(1))),
                "down.test", new Route("down", Balance.LEAST_CONN, List.of(), tls, RouteSettings.defaults())));
        String before = Files.readString(router.configFile());

        String checked = router.check(table); // nginx -t, nothing installed

        assertThat(checked).contains("ssl_reject_handshake on;").contains("client_max_body_size 102400m;")
                .contains("proxy_read_timeout 86400000ms;").contains("proxy_connect_timeout 1ms;");
        assertThat(Files.readString(router.configFile())).isEqualTo(before);
        router.apply(table);
        assertThat(Files.readString(router.configFile())).contains("ssl_certificate " + cert.certificate() + ";");
    }

    @Test
    void aCertificateNginxCannotLoadIsRejectedByNginxTAndChangesNothing() throws Exception {
        Fixtures.Cert cert = fx.selfSigned("tls.test");
        Endpoint t1 = fx.upstream("t1");
        int httpsPort = Fixtures.freePort();
        NginxRouter router = fx.router("nginx", b -> b.httpsPort(httpsPort));
        router.apply(new RoutingTable(Map.of("tls.test", tlsRoute("tlsapp", t1, cert))));
        String before = Files.readString(router.configFile());
        Path missing = dir.resolve("certs").resolve("missing.pem");

        assertThatThrownBy(() -> router.apply(new RoutingTable(Map.of("tls.test", new Route("tlsapp",
                Balance.LEAST_CONN, List.of(t1), Tls.of(missing, cert.key()), RouteSettings.defaults())))))
                .isInstanceOf(BerthException.class)
                .hasMessageContaining("nginx -t rejected")
                .hasMessageContaining(missing.toString());

        assertThat(Files.readString(router.configFile())).isEqualTo(before);
        assertThat(https(httpsPort, "tls.test", trusting(cert.certificate())).body()).isEqualTo("t1 https");
    }

    @Test
    void aTakenHttpsPortIsAClearErrorWhenTheFirstTlsRouteComesAndChangesNothing() throws Exception {
        Fixtures.Cert cert = fx.selfSigned("tls.test");
        Endpoint p1 = fx.upstream("p1");
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            NginxRouter router = fx.router("nginx", b -> b.httpsPort(port)); // free until TLS is used
            router.apply(new RoutingTable(Map.of("plain.test", new Route("plainapp", Balance.LEAST_CONN,
                    List.of(p1)))));
            String before = Files.readString(router.configFile());

            assertThatThrownBy(() -> router.apply(new RoutingTable(Map.of(
                    "plain.test", new Route("plainapp", Balance.LEAST_CONN, List.of(p1)),
                    "tls.test", tlsRoute("tlsapp", p1, cert)))))
                    .isInstanceOf(BerthException.class)
                    .hasMessageContaining("port " + port + " on 127.0.0.1 is already in use")
                    .hasMessageContaining("httpsPort(...)");

            assertThat(Files.readString(router.configFile())).isEqualTo(before);
            assertThat(get(Fixtures.httpPort(router), "plain.test").body()).isEqualTo("p1 http");
        }
    }

    private static Route tlsRoute(String app, Endpoint e, Fixtures.Cert cert) {
        return new Route(app, Balance.LEAST_CONN, List.of(e), Tls.of(cert.certificate(), cert.key()),
                RouteSettings.defaults());
    }
}
