// Runs a router's short commands (config checks, reloads, version queries) as argv lists, with a time limit and the proxy environment.
package dev.berth.support;

import dev.berth.api.BerthException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs short commands (argv lists, never a shell) with a time limit and only the
 * {@link ProxyEnvironment}, stdin from {@code /dev/null}, stdout and stderr collected together
 * through a temp file that is deleted afterwards. Stateless; thread-safe.
 */
public final class ProxyCommands {
    /**
     * What a finished command said.
     *
     * @param exitCode its exit status, -1 when it timed out (and was killed)
     * @param output   stdout and stderr, stripped; "(timed out after ...)" appended on a timeout
     */
    public record Result(int exitCode, String output) {
        /** Whether it exited 0. */
        public boolean ok() {
            return exitCode == 0;
        }
    }

    private ProxyCommands() {
    }

    /**
     * Runs {@code argv} with the {@link ProxyEnvironment} only, output (stdout and stderr) collected
     * through a file in {@code tempDir}; kills it after {@code timeout}.
     *
     * @throws BerthException when it cannot be started or the wait is interrupted
     */
    public static Result run(List<String> argv, Path tempDir, Duration timeout) {
        Path out = null;
        try {
            out = Files.createTempFile(tempDir, "cmd-", ".out");
            Process p = ProxyEnvironment.restrict(new ProcessBuilder(argv)).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            String text = Files.readString(out, StandardCharsets.UTF_8).strip();
            return new Result(done ? p.exitValue() : -1, done ? text : text + " (timed out after " + timeout + ")");
        } catch (IOException e) {
            throw new BerthException("could not run " + argv + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BerthException("interrupted while running " + argv, e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a leftover temp file in the prefix does no harm
                }
            }
        }
    }
}
