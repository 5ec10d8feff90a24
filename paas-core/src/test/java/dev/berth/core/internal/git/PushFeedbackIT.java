package dev.berth.core.internal.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a pusher sees of the listener, with the real git CLI over smart HTTP: lines reach
 * {@code git push} while the listener still works (not all at the end), and a refusal fails the
 * push and leaves the branch where it was.
 */
class PushFeedbackIT {
    private static final String PASSWORD = "shortfin";

    @TempDir
    Path tmp;
    GitRepositories repos;
    GitCli git;
    Path work;

    @BeforeEach
    void setUp() throws Exception {
        repos = new GitRepositories(tmp.resolve("repos"));
        git = new GitCli(Files.createDirectories(tmp.resolve("home")));
        work = Files.createDirectories(tmp.resolve("work"));
        git.run(work, "init", "-q").ok();
        Files.writeString(work.resolve("app.py"), "print('hello')\n");
        git.run(work, "add", "-A").ok();
        git.run(work, "commit", "-q", "-m", "first").ok();
    }

    /** A line of git's output and when it arrived, in ms since the push began. */
    record Timed(long ms, String line) {
    }

    /** Runs {@code git push} and records when each output line arrives. */
    private List<Timed> push(int port, List<Integer> exit) throws Exception {
        List<String> argv = List.of(GitCli.GIT, "-c", "credential.helper=", "push",
                "http://git:" + PASSWORD + "@127.0.0.1:" + port + "/beep", "master");
        ProcessBuilder pb = new ProcessBuilder(argv).directory(work.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/bin:/bin");
        env.put("HOME", tmp.resolve("home").toString());
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_TERMINAL_PROMPT", "0");
        env.put("LANG", "C");
        long t0 = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close();
        List<Timed> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l = r.readLine(); l != null && lines.size() < 1000; l = r.readLine()) {
                lines.add(new Timed(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), l));
            }
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        lines.add(new Timed(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), "exit " + p.exitValue()));
        exit.add(p.exitValue());
        return lines;
    }

    private static long arrival(List<Timed> lines, String text) {
        return lines.stream().filter(t -> t.line().contains(text)).mapToLong(Timed::ms).findFirst()
                .orElseThrow(() -> new AssertionError("no line with '" + text + "' in " + lines));
    }

    @Test
    void linesReachThePusherWhileTheListenerStillWorks() throws Exception {
        PushListener slow = new PushListener() {
            @Override
            public void pushed(String app, String branch, String commit) {
                throw new AssertionError("the listener with a remote is called");
            }

            @Override
            public Verdict pushed(String app, String branch, String commit, java.util.function.Consumer<String> remote) {
                remote.accept("step one of " + app + " " + branch);
                sleep(2000);
                remote.accept("step two, a control char \u001b[31m and a very long tail " + "x".repeat(1000));
                sleep(1000);
                return Verdict.ACCEPT;
            }
        };
        try (GitServer server = GitServer.builder(repos).password(PASSWORD).listener(slow).build().start()) {
            List<Integer> exit = new ArrayList<>();
            List<Timed> lines = push(server.port(), exit);
            assertThat(exit).as(lines.toString()).containsExactly(0);
            long one = arrival(lines, "remote: step one of beep master");
            long two = arrival(lines, "remote: step two");
            long end = arrival(lines, "exit 0");
            // streamed: each line came when it was said, not at the end of the push
            assertThat(two - one).as(lines.toString()).isGreaterThanOrEqualTo(1500);
            assertThat(end - two).as(lines.toString()).isGreaterThanOrEqualTo(700);
            String step2 = lines.stream().filter(t -> t.line().contains("step two")).findFirst().orElseThrow().line();
            assertThat(step2).doesNotContain("\u001b").hasSizeLessThan(PushReceivePackFactory.LINE_CHARS + 20);
            assertThat(repos.resolve("beep", "master")).contains(git.run(work, "rev-parse", "HEAD").ok().output().trim());
        }
    }

    @Test
    void aRefusedPushFailsWithTheReasonAndTheBranchStays() throws Exception {
        List<String> heard = new ArrayList<>();
        PushListener refusing = new PushListener() {
            @Override
            public void pushed(String app, String branch, String commit) {
                heard.add(commit);
            }

            @Override
            public Verdict pushed(String app, String branch, String commit, java.util.function.Consumer<String> remote) {
                heard.add(commit);
                if (heard.size() == 1) {
                    return Verdict.ACCEPT;
                }
                remote.accept("release r2 was rolled back: instance beep-2 exited: exited with 1");
                return Verdict.refuse("release r2 was rolled back: exited with 1");
            }
        };
        try (GitServer server = GitServer.builder(repos).password(PASSWORD).listener(refusing).build().start()) {
            List<Integer> exit = new ArrayList<>();
            push(server.port(), exit);
            String first = git.run(work, "rev-parse", "HEAD").ok().output().trim();
            assertThat(repos.resolve("beep", "master")).contains(first);

            Files.writeString(work.resolve("app.py"), "print('broken'\n");
            git.run(work, "commit", "-q", "-am", "broken").ok();
            List<Timed> lines = push(server.port(), exit);
            String out = lines.toString();
            assertThat(exit).as(out).hasSize(2).element(1).isNotEqualTo(0);
            assertThat(out).contains("remote: release r2 was rolled back: instance beep-2 exited: exited with 1")
                    .contains("[remote rejected] master -> master (release r2 was rolled back: exited with 1)");
            // the branch still names the commit that runs; pushing the same commit again retries it
            assertThat(repos.resolve("beep", "master")).contains(first);
            assertThat(heard).hasSize(2);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
