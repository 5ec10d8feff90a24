package dev.berth.backend.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The liveness loop run by the local {@code sh} (no SSH): its hello, one answer per request line
 * ending in the request's END, retiring pid files named in a request; and the refusal of retire
 * entries that are not "id:pid" before anything is sent.
 */
class LivenessChannelTest {

    @Test
    void aRetireEntryThatIsNotIdColonPidIsRefusedNamingIt() {
        SshHost host = SshHost.builder("n1").address("10.0.0.1").user("berth").privateKey(Path.of("/nonexistent/key"))
                .knownHosts(Path.of("/nonexistent/known_hosts")).baseDir("/srv/berth").build();
        LivenessChannel channel = new LivenessChannel(new HostLink(host, null, List.of(), Duration.ofSeconds(1),
                Duration.ofSeconds(1), 1), Duration.ofSeconds(1), Duration.ofSeconds(5));
        for (String bad : List.of("a b:1", "x:1;rm -rf /", "../x:1", "x:", "x:12345678901", "x:1\nR 9")) {
            assertThatThrownBy(() -> channel.round(List.of("ok:1", bad))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("retire entry '")
                    .hasMessageContaining("must be id:pid (an instance id, a colon, 1-10 digits)");
        }
        assertThat(channel.rounds()).isZero();
        assertThat(channel.opens()).isZero();
    }

    @Test
    void theLoopAnswersEachRequestUntilItsEndAndRetiresWhatItIsTold(@TempDir Path base) throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        Process loop = null;
        try {
            long pid = sleeper.pid();
            String ticks = stat(pid)[19];
            String boot = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
            Path live = Files.createDirectories(base.resolve("instances/live"));
            Files.writeString(live.resolve("meta"), "v1 app r1 n1 - 1700000000000 /w -\n");
            Files.writeString(live.resolve("pid"), pid + " " + ticks + " 1 1 " + boot + "\n");
            Path gone = Files.createDirectories(base.resolve("instances/gone"));
            Files.writeString(gone.resolve("meta"), "v1 app r1 n1 - 1700000000000 /w -\n");
            Files.writeString(gone.resolve("pid"), "999999 5 999998 4 " + boot + "\n");
            Files.writeString(gone.resolve("exit"), "3\n");

            loop = new ProcessBuilder("sh", "-c", LivenessChannel.SCRIPT, "berth", base.toString())
                    .redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(loop.getInputStream(), StandardCharsets.UTF_8));
            OutputStream in = loop.getOutputStream();
            assertThat(out.readLine()).isEqualTo("BERTH-LIVENESS 1");

            assertThat(ask(in, out, "R 1")).containsExactlyInAnyOrder(
                    "A live " + pid + " " + ticks + " v1 app r1 n1 - 1700000000000 /w -",
                    "D gone 999999 5 3", "END 1");
            // retiring the gone one's pid file: it is listed no more; a stale pid for the live one retires nothing
            assertThat(ask(in, out, "R 2 gone:999999 live:1")).containsExactly(
                    "A live " + pid + " " + ticks + " v1 app r1 n1 - 1700000000000 /w -", "END 2");
            assertThat(gone.resolve("pid.exited")).exists();
            assertThat(gone.resolve("pid")).doesNotExist();
            assertThat(ask(in, out, "Q 3")).containsExactly("E unknown request", "END 3");

            in.close(); // the channel's end: the loop ends
            assertThat(loop.waitFor(5, TimeUnit.SECONDS)).isTrue();
            assertThat(loop.exitValue()).isZero();
        } finally {
            sleeper.destroyForcibly();
            if (loop != null) {
                loop.destroyForcibly();
            }
        }
    }

    private static List<String> ask(OutputStream in, BufferedReader out, String request) throws Exception {
        in.write((request + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 100; i++) { // bounded: a round here has at most a few lines
            String line = out.readLine();
            assertThat(line).as("answer to %s so far: %s", request, lines).isNotNull();
            lines.add(line);
            if (line.startsWith("END ")) {
                return lines;
            }
        }
        throw new AssertionError("no END after 100 lines: " + lines);
    }

    /** Fields 3.. of /proc/pid/stat (state first): field 22 (start ticks) is index 19. */
    private static String[] stat(long pid) throws Exception {
        String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return s.substring(s.lastIndexOf(')') + 2).split(" ");
    }
}
