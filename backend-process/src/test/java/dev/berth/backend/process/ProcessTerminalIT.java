// A terminal in a process instance: a real pseudo-terminal (window size, Ctrl-C, exit code), as the instance's user.
package dev.berth.backend.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.contract.TerminalScreen;
import dev.berth.spi.Terminal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ProcessBackend}'s terminals through util-linux's script; fails, never skips, without it. */
class ProcessTerminalIT {
    @TempDir
    Path base;

    private ProcessBackend backend;

    @BeforeEach
    void start() throws IOException {
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x")); // for the user nobody
        backend = Kit.builder(base).build();
    }

    @AfterEach
    void stop() {
        backend.close();
        Kit.stopAll(base);
    }

    @Test
    void aShellGetsItsWindowSizeCtrlCAndExitCodeAsTheInstancesUserInItsDirectory() throws Exception {
        backend.start(Kit.req("web-1", Kit.sh("web", "exec sleep 300").env("GREETING", "hi").user("nobody").build()));
        Kit.waiting().until(() -> backend.console().describe("web-1").containsKey("pid"));

        try (Terminal t = backend.console().terminal("web-1", List.of("/bin/sh"), 100, 30)) {
            TerminalScreen screen = new TerminalScreen(t);
            screen.type("stty size; echo \"$GREETING from $(id -un) in $(pwd)\"; tty\r");
            Kit.waiting().until(() -> screen.text().contains("30 100") && screen.text().contains("hi from nobody in "));
            assertThat(screen.text()).contains("/dev/pts/");

            t.resize(120, 40);
            screen.type("stty size\r");
            Kit.waiting().until(() -> screen.text().contains("40 120"));

            screen.type("sleep 61; echo after-sleep\r");
            Kit.waiting().until(() -> TerminalScreen.inForeground("sleep 61")); // the sleep is in front
            screen.type("\u0003"); // Ctrl-C: SIGINT to the sleep in front, not to the shell
            screen.type("echo still-$((6 * 7))\r");
            Kit.waiting().until(() -> screen.text().contains("still-42"));
            assertThat(screen.lines()).as("the sleep and its list were interrupted").doesNotContain("after-sleep");

            screen.type("exit 3\r");
            assertThat(t.waitFor()).isEqualTo(3);
        }
    }

    @Test
    void closingHangsUpAndArgumentsAreNeverShellWords() throws Exception {
        backend.start(Kit.req("web-2", Kit.sh("web", "exec sleep 300").build()));
        Kit.waiting().until(() -> backend.console().describe("web-2").containsKey("pid"));
        Terminal t = backend.console().terminal("web-2", List.of("/bin/echo", "a; touch pwned", "$(id)"), 80, 24);
        TerminalScreen screen = new TerminalScreen(t);
        assertThat(t.waitFor()).isZero();
        Kit.waiting().until(() -> screen.text().contains("a; touch pwned $(id)"));
        t.close();

        Terminal hung = backend.console().terminal("web-2", List.of("/bin/sh"), 80, 24);
        long start = System.nanoTime();
        hung.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
        assertThat(hung.waitFor()).isNotZero();
    }
}
