// Terminals in container instances: Docker's exec -it (window size, resize, Ctrl-C, exit code, hang-up), against a real dockerd.
package dev.berth.backend.docker;

import static dev.berth.backend.docker.Kit.req;
import static dev.berth.backend.docker.Kit.waiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.contract.TerminalScreen;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.berth.api.NotFoundException;
import dev.berth.spi.Terminal;

/** {@link DockerBackend}'s terminals on a real dockerd and the local busybox image; fails, never skips, without them. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DockerTerminalIT {
    private String node;
    private DockerBackend backend;

    @BeforeAll
    static void image() throws Exception {
        Kit.ensureDockerAndImage();
    }

    @AfterAll
    static void removeImages() throws Exception {
        Kit.removeTestImages();
    }

    @BeforeEach
    void setUp() {
        node = Kit.node();
        backend = Kit.builder(node).build();
    }

    @AfterEach
    void tearDown() throws Exception {
        backend.close();
        Kit.removeTestContainers();
    }

    @Test
    void aShellGetsItsWindowSizeCtrlCAndExitCodeAsTheContainersUserInItsDirectory() throws Exception {
        backend.start(req("web-1", node, Kit.sh("web", "exec sleep 300").env("GREETING", "hi").workingDir("/tmp")
                .user("65534:65534").build()));

        try (Terminal t = backend.console().terminal("web-1", List.of("/bin/sh"), 100, 30)) {
            TerminalScreen screen = new TerminalScreen(t);
            screen.type("stty size; echo \"$GREETING from $(id -u) in $(pwd)\"; tty\r");
            waiting().until(() -> screen.text().contains("30 100") && screen.text().contains("hi from 65534 in /tmp"));
            assertThat(screen.text()).contains("/dev/pts/");

            t.resize(120, 40);
            screen.type("stty size\r");
            waiting().until(() -> screen.text().contains("40 120"));

            screen.type("sleep 63; echo after-sleep\r");
            waiting().until(() -> backend.console().exec("web-1", List.of("ps"), Duration.ofSeconds(10)).output()
                    .contains("sleep 63")); // the sleep is in front
            screen.type("\u0003"); // Ctrl-C: SIGINT to the sleep in front, not to the shell
            screen.type("echo still-$((6 * 7))\r");
            waiting().until(() -> screen.text().contains("still-42"));
            assertThat(screen.lines()).as("the sleep and its list were interrupted").doesNotContain("after-sleep");

            screen.type("exit 3\r");
            assertThat(t.waitFor()).isEqualTo(3);
        }
    }

    @Test
    void closingHangsUpAndArgumentsAreNeverShellWords() throws Exception {
        backend.start(req("web-2", node, Kit.sh("web", "exec sleep 300").build()));
        Terminal t = backend.console().terminal("web-2", List.of("/bin/echo", "a; touch pwned", "$(id)"), 80, 24);
        TerminalScreen screen = new TerminalScreen(t);
        assertThat(t.waitFor()).isZero();
        waiting().until(() -> screen.text().contains("a; touch pwned $(id)"));
        t.close();
        assertThat(backend.console().exec("web-2", List.of("ls", "/"), Duration.ofSeconds(10)).output())
                .doesNotContain("pwned");

        Terminal hung = backend.console().terminal("web-2", List.of("/bin/sh"), 80, 24);
        TerminalScreen shown = new TerminalScreen(hung);
        shown.type("echo ready-$((1 + 1)); sleep 120\r"); // the hang-up reaches the program in front too
        waiting().until(() -> shown.text().contains("ready-2") && backend.console().exec("web-2", List.of("ps"),
                Duration.ofSeconds(10)).output().contains("sleep 120"));
        long start = System.nanoTime();
        hung.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
        assertThat(hung.waitFor()).isNotZero();
        assertThat(backend.console().exec("web-2", List.of("ps"), Duration.ofSeconds(10)).output())
                .as("no shell and no sleep of it are left in the container")
                .doesNotContain("/bin/sh").doesNotContain("sleep 120");
        try (Terminal missing = backend.console().terminal("web-2", List.of("/no/such/program"), 80, 24)) {
            assertThat(missing.waitFor()).as("a program the container lacks").isNotZero();
        }
        waiting().until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(th -> th.getName().startsWith("docker-java-httpclient5-hijacking-stream")));
    }

    @Test
    void anUnknownInstanceIsNotFound() {
        assertThatThrownBy(() -> backend.console().terminal("nobody-here", List.of("/bin/sh"), 80, 24))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("instance 'nobody-here'");
        assertThatThrownBy(() -> backend.console().terminal("nobody-here", List.of("/bin/sh"), 0, 24))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
