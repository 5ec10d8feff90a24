// Serve's checks and messages that need no process: a router not installed, builder hints, what a refusal removes.
package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeFlagsTest {
    @TempDir
    Path tmp;

    @Test
    void aRouterThatIsNotInstalledIsRefusedWithThePackageAndTheOtherChoices() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> Preflight.router("nginx", empty, empty.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--router nginx: nginx is not installed (not in /usr/sbin nor on the PATH): install it "
                        + "(Debian/Ubuntu: apt-get install nginx), or choose --router haproxy|none");
        assertThatThrownBy(() -> Preflight.router("haproxy", empty, empty.toString()))
                .hasMessageContaining("apt-get install haproxy").hasMessageContaining("--router nginx|none");
        assertThat(Preflight.router(null, empty, empty.toString())).isEqualTo("none");
        assertThat(Preflight.router("none", empty, empty.toString())).isEqualTo("none");

        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path nginx = Files.writeString(bin.resolve("nginx"), "#!/bin/sh\n");
        nginx.toFile().setExecutable(true);
        assertThat(Preflight.router(null, empty, empty + ":" + bin)).isEqualTo("nginx");
        assertThat(Preflight.router("nginx", empty, bin.toString())).isEqualTo("nginx");
    }

    @Test
    void routerMessagesNameServesFlags() {
        assertThat(FlagHints.translate("nginx router: port 8080 on 127.0.0.1 is already in use; choose a free port with "
                + "httpPort(...): nginx: [emerg] bind() to 127.0.0.1:8080 failed (98: Address already in use)", 8080, 4001))
                .isEqualTo("--http-port: port 8080 is in use (nginx cannot listen on 127.0.0.1:8080): choose a free port "
                        + "with --http-port, or stop what listens there");
        assertThat(FlagHints.translate("haproxy router: haproxy not found at /usr/sbin/haproxy nor on the PATH; install "
                + "Debian's haproxy package (apt-get install haproxy) or set haproxyBinary(...)", 8080, 4001))
                .isEqualTo(Preflight.notInstalled("haproxy"));
        assertThat(FlagHints.translate("git server: cannot listen on 127.0.0.1:4001: the address is already in use (or "
                + "not available); choose another port (0 picks a free one) or stop what listens there", 8080, 4001))
                .startsWith("--git-port: port 4001 is in use");
        assertThat(FlagHints.translate("nginx router: the workers' user nobody can reach neither /a nor /b for its temp "
                + "files; make one of them searchable by it, or set proxyUser(...) to another user", 8080, 4001))
                .isEqualTo("nginx router: the workers' user nobody can reach neither /a nor /b for its temp files; "
                        + "make one of them searchable by it");
        assertThat(FlagHints.translate("cluster: 'stagin' is not allowed; the clusters defined there are staging", 8080, 4001))
                .isEqualTo("--cluster: 'stagin' is not allowed; the clusters defined there are staging");
        assertThat(FlagHints.translate("state dir /s/platform is in use by another platform (its 'lock' file is held); "
                + "close that platform or choose another state dir", 8080, 4001))
                .endsWith("close that platform or choose another --state");
        assertThat(FlagHints.translate("--manifests: x is not a directory", 8080, 4001))
                .isEqualTo("--manifests: x is not a directory");
    }

    @Test
    void aRefusalRemovesTheOutermostFolderTheStartMade() throws Exception {
        assertThat(Preflight.firstMissing(tmp)).isNull();
        assertThat(Preflight.firstMissing(tmp.resolve("a/b/c"))).isEqualTo(tmp.resolve("a"));
        Files.createDirectories(tmp.resolve("a"));
        assertThat(Preflight.firstMissing(tmp.resolve("a/b/c"))).isEqualTo(tmp.resolve("a/b"));
    }

    /** Serve's options parsed from {@code args} (picocli, as on the command line), nothing run. */
    private static Serve parsed(String... args) {
        Serve s = new Serve();
        new picocli.CommandLine(s).parseArgs(args);
        return s;
    }

    private static void zkRefused(String message, String... args) {
        Serve s = parsed(args);
        assertThatThrownBy(() -> s.zooKeeper.check(s, s.api)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void zooKeeperFlagsAreCheckedAloneAndWithTheOthers() {
        String[] base = {"--manifests", "m", "--state", "s"};
        Serve ok = parsed(concat(base, "--zookeeper", "zk1:2181,zk2:2181,[::1]:2181", "--zk-root", "/berth/prod"));
        ok.zooKeeper.check(ok, ok.api);
        assertThat(ok.zooKeeper.enabled()).isTrue();
        assertThat(parsed(base).zooKeeper.enabled()).isFalse();

        zkRefused("--zookeeper: 'zk1' is not allowed; give HOST:PORT", concat(base, "--zookeeper", "zk1"));
        zkRefused("--zookeeper: 'zk1:2181;rm -rf /' is not allowed", concat(base, "--zookeeper", "zk1:2181;rm -rf /"));
        zkRefused("--zookeeper: port 70000 of 'zk1:70000' is not allowed: 1-65535", concat(base, "--zookeeper", "zk1:70000"));
        zkRefused("--zk-root: ZooKeeper root '/berth/../x' is not allowed",
                concat(base, "--zookeeper", "zk1:2181", "--zk-root", "/berth/../x"));
        zkRefused("--zk-root: ZooKeeper root 'berth' is not allowed", concat(base, "--zookeeper", "zk1:2181", "--zk-root", "berth"));
        zkRefused("--zk-session: 1 is not allowed: 2-600 seconds", concat(base, "--zookeeper", "zk1:2181", "--zk-session", "1"));
        zkRefused("--stop-on-exit is not allowed with --zookeeper", concat(base, "--zookeeper", "zk1:2181", "--stop-on-exit"));
        zkRefused("--api-port 0 is not allowed with --zookeeper", concat(base, "--zookeeper", "zk1:2181", "--api-port", "0"));
        zkRefused("--api-bind 0.0.0.0 is not allowed with --zookeeper",
                concat(base, "--zookeeper", "zk1:2181", "--api-bind", "0.0.0.0"));
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
