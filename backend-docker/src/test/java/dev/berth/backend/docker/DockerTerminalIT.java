// Terminals in container instances: Docker's exec -it (window size, resize, Ctrl-C, exit code, hang-up), against a real dockerd.
package dev.berth.backend.docker;

import static dev.berth.backend.docker.Kit.req;
import static dev.berth.backend.docker.Kit.waiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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

    /** What the terminal shows, read on a thread of its own until it ends. */
    private static final class Screen {
        private final ByteArrayOutputStream seen = new ByteArrayOutputStream();

        Screen(InputStream in) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[4096];
                try {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        synchronized (seen) {
                            seen.write(buf, 0, n);
                        }
                    }
                } catch (IOException e) {
                    // the terminal ended
                }
            }, "screen");
            t.setDaemon(true);
            t.start();
        }

        String text() {
            synchronized (seen) {
                return seen.toString(StandardCharsets.UTF_8);
            }
        }
    }

    private static void type(Terminal t, String keys) throws IOException {
        t.input().write(keys.getBytes(StandardCharsets.UTF_8));
        t.input().flush();
    }

    @Test
    void aShellGetsItsWindowSizeCtrlCAndExitCodeAsTheContainersUserInItsDirectory() throws Exception {
        backend.start(req("web-1", node, Kit.sh("web", "exec sleep 300").env("GREETING", "hi").workingDir("/tmp")
                .user("65534:65534").build()));

        try (Terminal t = backend.console().terminal("web-1", List.of("/bin/sh"), 100, 30)) {
            Screen screen = new Screen(t.output());
            type(t, "stty size; echo \"$GREETING from $(id -u) in $(pwd)\"; tty\r");
            waiting().until(() -> screen.text().contains("30 100") && screen.text().contains("hi from 65534 in /tmp"));
            assertThat(screen.text()).contains("/dev/pts/");

            t.resize(120, 40);
            type(t, "stty size\r");
            waiting().until(() -> screen.text().contains("40 120"));

            type(t, "sleep 60; echo after-sleep\r");
            Thread.sleep(300);
            type(t, "\u0003"); // Ctrl-C: SIGINT to the sleep in front, not to the shell
            type(t, "echo still-$((6 * 7))\r");
            waiting().until(() -> screen.text().contains("still-42"));
            assertThat(screen.text().split("\r?\n")).as("the sleep and its list were interrupted").doesNotContain("after-sleep");

            type(t, "exit 3\r");
            assertThat(t.waitFor()).isEqualTo(3);
        }
    }

    @Test
    void closingHangsUpAndArgumentsAreNeverShellWords() throws Exception {
        backend.start(req("web-2", node, Kit.sh("web", "exec sleep 300").build()));
        Terminal t = backend.console().terminal("web-2", List.of("/bin/echo", "a; touch pwned", "$(id)"), 80, 24);
        Screen screen = new Screen(t.output());
        assertThat(t.waitFor()).isZero();
        waiting().until(() -> screen.text().contains("a; touch pwned $(id)"));
        t.close();
        assertThat(backend.console().exec("web-2", List.of("ls", "/"), Duration.ofSeconds(10)).output())
                .doesNotContain("pwned");

        Terminal hung = backend.console().terminal("web-2", List.of("/bin/sh"), 80, 24);
        Screen shown = new Screen(hung.output());
        type(hung, "echo ready-$((1 + 1)); sleep 120\r"); // the hang-up reaches the program in front too
        waiting().until(() -> shown.text().contains("ready-2"));
        Thread.sleep(300);
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
