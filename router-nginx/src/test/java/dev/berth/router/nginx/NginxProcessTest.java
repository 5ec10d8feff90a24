package dev.berth.router.nginx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The nginx process logic that needs no nginx: reading what nginx's master logged about a reload. */
class NginxProcessTest {
    private static final NginxConfig.Settings SETTINGS =
            new NginxConfig.Settings(Path.of("/srv/berth"), "127.0.0.1", 8080, 8443, 1);

    // what Debian's nginx 1.22 logs when a reload cannot bind a port
    private static final String BIND_RETRY =
            "2026/11/22 01:56:58 [emerg] 16655#16655: bind() to 127.0.0.1:8443 failed (98: Address already in use)\n";
    private static final String BIND_GAVE_UP = "2026/11/22 01:56:58 [emerg] 16655#16655: still could not bind()\n";

    @Test
    void nothingOrOnlyNoticesIsNoVerdict() {
        assertThat(NginxProcess.reloadRefused("", SETTINGS)).isNull();
        assertThat(NginxProcess.reloadRefused("2026/11/22 01:56:58 [notice] 16702#16702: signal process started\n",
                SETTINGS)).isNull();
    }

    @Test
    void aBindThatNginxStillRetriesIsNoVerdictYet() {
        assertThat(NginxProcess.reloadRefused(BIND_RETRY + BIND_RETRY, SETTINGS)).isNull();
    }

    @Test
    void aBindNginxGaveUpOnNamesThePortAndItsOption() {
        assertThat(NginxProcess.reloadRefused(BIND_RETRY + BIND_RETRY + BIND_GAVE_UP, SETTINGS))
                .isEqualTo("cannot listen on port 8443 of 127.0.0.1 (httpsPort): bind() to 127.0.0.1:8443 failed "
                        + "(98: Address already in use); still could not bind()");
        assertThat(NginxProcess.reloadRefused(BIND_RETRY.replace("8443", "8080") + BIND_GAVE_UP, SETTINGS))
                .startsWith("cannot listen on port 8080 of 127.0.0.1 (httpPort): ");
    }

    @Test
    void aPortNginxCouldBindButNotListenOnIsNamedToo() {
        assertThat(NginxProcess.reloadRefused("2026/11/22 01:56:58 [emerg] 7#7: listen() to 127.0.0.1:8443, backlog 511 "
                + "failed (98: Address already in use)\n", SETTINGS))
                .startsWith("cannot listen on port 8443 of 127.0.0.1 (httpsPort): listen() to 127.0.0.1:8443, ");
        NginxConfig.Settings v6 = new NginxConfig.Settings(Path.of("/p"), "::1", 8080, 8443, 1);
        assertThat(NginxProcess.reloadRefused(BIND_RETRY.replace("127.0.0.1", "[::1]") + BIND_GAVE_UP, v6))
                .startsWith("cannot listen on port 8443 of ::1 (httpsPort): bind() to [::1]:8443 failed");
    }

    @Test
    void anyOtherEmergencyIsTheVerdict() {
        assertThat(NginxProcess.reloadRefused("2026/11/22 01:56:58 [emerg] 1#1: cannot load certificate "
                + "\"/etc/c.pem\": BIO_new_file() failed\n", SETTINGS))
                .isEqualTo("cannot load certificate \"/etc/c.pem\": BIO_new_file() failed");
    }
}
