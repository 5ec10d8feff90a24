// Terminals in instances on a real OpenSSH host: window size, Ctrl-C, exit codes, dir and env, literal argv, hang-up.
package dev.berth.backend.ssh;

import static dev.berth.backend.ssh.Kit.req;
import static dev.berth.backend.ssh.Kit.waiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.BackendException;
import dev.berth.api.NotFoundException;
import dev.berth.spi.RunningInstance;
import dev.berth.spi.Terminal;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
            Screen screen = new Screen(t.output());
            type(t, "stty size; echo \"$GREETING from $(id -un) in $(pwd) as $TERM\"; tty\r");
            waiting().until(() -> screen.text().contains("30 100")
                    && screen.text().contains("hi from root in " + workDir + " as xterm-256color"));
            assertThat(screen.text()).contains("/dev/pts/");

            t.resize(120, 40);
            type(t, "stty size\r");
            waiting().until(() -> screen.text().contains("40 120"));

            type(t, "sleep 60; echo after-sleep\r");
            waiting().until(() -> !Kit.pidsWithCmdline("sleep 60 ").isEmpty());
            type(t, "\u0003"); // Ctrl-C: SIGINT to the sleep in front, not to the shell
            type(t, "echo still-$((6 * 7))\r");
            waiting().until(() -> screen.text().contains("still-42"));
            assertThat(screen.text().split("\r?\n")).as("the sleep and its list were interrupted").doesNotContain("after-sleep");

            type(t, "exit 3\r");
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
        Screen screen = new Screen(t.output());
        assertThat(t.waitFor()).isZero();
        waiting().until(() -> screen.text().contains("a; touch pwned $(id)"));
        t.close();
        try (Stream<Path> files = Files.walk(base)) {
            assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("pwned");
        }

        try (Terminal killed = backend.console().terminal("term-2", List.of("/bin/sh", "-c", "kill -TERM $$"), 80, 24)) {
            new Screen(killed.output());
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
        Screen screen = new Screen(hung.output());
        type(hung, "echo pid-$$\r");
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
                new Screen(t.output());
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
