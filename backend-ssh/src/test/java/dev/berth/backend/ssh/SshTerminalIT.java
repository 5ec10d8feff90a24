// Terminals in instances on a real OpenSSH host: window size, Ctrl-C, exit codes, dir and env, literal argv, hang-up.
package dev.berth.backend.ssh;

import static dev.berth.backend.ssh.Kit.req;
import static dev.berth.backend.ssh.Kit.waiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.contract.TerminalScreen;
import dev.berth.api.BackendException;
import dev.berth.api.NotFoundException;
import dev.berth.spi.RunningInstance;
import dev.berth.spi.Terminal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SshBackend}'s terminals against a real sshd in a network namespace of its own (host 80,
 * {@link Kit}); fails, never skips, without root, iproute2 or openssh-server.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SshTerminalIT {
    private static final String NODE = "h80";
    private static Kit kit;
    private SshBackend backend;

    @BeforeAll
    static void host() throws Exception {
        kit = Kit.withHosts(80, 1);
    }

    @AfterAll
    static void removeHost() {
        if (kit != null) {
            kit.close();
        }
    }

    @BeforeEach
    void setUp() {
        backend = kit.backend().build();
    }

    @AfterEach
    void tearDown() {
        try {
            for (RunningInstance i : backend.list()) {
                backend.stop(i.instanceId(), Duration.ZERO);
            }
        } finally {
            backend.close();
        }
    }

    private void startSleeper(String id) {
        backend.start(req(id, NODE, Kit.sh("term", "exec sleep 300").workingDir("data").env("GREETING", "hi").build()));
        waiting().until(() -> backend.console().describe(id).containsKey("pid"));
    }

    @Test
    void aShellGetsItsWindowSizeCtrlCAndExitCodeInTheInstancesDirectoryWithItsEnv() throws Exception {
        startSleeper("term-1");
        String workDir = backend.console().describe("term-1").get("working.dir");
        assertThat(workDir).endsWith("/instances/term-1/work/data");

        try (Terminal t = backend.console().terminal("term-1", List.of("/bin/sh"), 100, 30)) {
            TerminalScreen screen = new TerminalScreen(t);
            screen.type("stty size; echo \"$GREETING from $(id -un) in $(pwd) as $TERM\"; tty\r");
            waiting().until(() -> screen.text().contains("30 100")
                    && screen.text().contains("hi from root in " + workDir + " as xterm-256color"));
            assertThat(screen.text()).contains("/dev/pts/");

            t.resize(120, 40);
            screen.type("stty size\r");
            waiting().until(() -> screen.text().contains("40 120"));

            screen.type("sleep 64; echo after-sleep\r");
            waiting().until(() -> TerminalScreen.inForeground("sleep 64"));
            screen.type("\u0003"); // Ctrl-C: SIGINT to the sleep in front, not to the shell
            screen.type("echo still-$((6 * 7))\r");
            waiting().until(() -> screen.text().contains("still-42"));
            assertThat(screen.lines()).as("the sleep and its list were interrupted").doesNotContain("after-sleep");

            screen.type("exit 3\r");
            assertThat(t.waitFor()).isEqualTo(3);
        }
        // the shared session carried it: no session of its own, and exec still has its channels
        assertThat(backend.connects(NODE)).isEqualTo(1);
        assertThat(backend.console().exec("term-1", List.of("echo", "ok"), Duration.ofSeconds(10)).output()).isEqualTo("ok\n");
    }

    @Test
    void argumentsAreNeverShellWordsAndASignalIsItsExitCode() throws Exception {
        startSleeper("term-2");
        Path base = kit.netns(NODE).baseDir;
        Terminal t = backend.console().terminal("term-2", List.of("/bin/echo", "a; touch pwned", "$(id)"), 80, 24);
        TerminalScreen screen = new TerminalScreen(t);
        assertThat(t.waitFor()).isZero();
        waiting().until(() -> screen.text().contains("a; touch pwned $(id)"));
        t.close();
        try (Stream<Path> files = Files.walk(base)) {
            assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("pwned");
        }

        try (Terminal killed = backend.console().terminal("term-2", List.of("/bin/sh", "-c", "kill -TERM $$"), 80, 24)) {
            new TerminalScreen(killed);
            assertThat(killed.waitFor()).as("128+SIGTERM").isEqualTo(143);
        }

        assertThatThrownBy(() -> backend.console().terminal("nope-1", List.of("/bin/sh"), 80, 24))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("instance 'nope-1'");
        assertThatThrownBy(() -> backend.console().terminal("term-2", List.of("/bin/sh"), 0, 24))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void closingHangsUpTheShellWithinSecondsAndGivesItsChannelBack() throws Exception {
        startSleeper("term-3");
        Terminal hung = backend.console().terminal("term-3", List.of("/bin/sh"), 80, 24);
        TerminalScreen screen = new TerminalScreen(hung);
        screen.type("echo pid-$$\r");
        Pattern pidLine = Pattern.compile("pid-([0-9]+)");
        waiting().until(() -> pidLine.matcher(screen.text()).find());
        Matcher m = pidLine.matcher(screen.text());
        assertThat(m.find()).isTrue();
        long pid = Long.parseLong(m.group(1));
        assertThat(Kit.alive(pid)).isTrue();

        long start = System.nanoTime();
        hung.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
        assertThat(hung.waitFor()).isNotZero();
        waiting().atMost(Duration.ofSeconds(5)).until(() -> !Kit.alive(pid));

        // at most half of the 8 channels are terminals; closing one gives its channel back
        List<Terminal> open = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                Terminal t = backend.console().terminal("term-3", List.of("/bin/sh"), 80, 24);
                new TerminalScreen(t);
                open.add(t);
            }
            assertThatThrownBy(() -> backend.console().terminal("term-3", List.of("/bin/sh"), 80, 24))
                    .isInstanceOf(BackendException.class)
                    .hasMessageContaining("instance 'term-3' on host 'h80'")
                    .hasMessageContaining("4 are open");
            assertThat(backend.console().exec("term-3", List.of("echo", "ok"), Duration.ofSeconds(10)).output())
                    .isEqualTo("ok\n");
            open.remove(0).close();
            Terminal again = backend.console().terminal("term-3", List.of("/bin/sh"), 80, 24);
            open.add(again);
        } finally {
            open.forEach(Terminal::close);
        }
        assertThat(backend.connects(NODE)).isEqualTo(1);
    }
}
