package dev.berth.router.haproxy;

import dev.berth.api.BerthException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short commands (argv lists, never a shell) with a time limit. Stateless; thread-safe. */
final class Commands {
    /** What a finished command said; {@code exitCode} -1 when it timed out. */
    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    private Commands() {
    }

    /**
     * Runs {@code argv} with the {@link ProxyEnvironment} only, output (stdout and stderr) collected
     * through a file in {@code tempDir}.
     */
    static Result run(List<String> argv, Path tempDir, Duration timeout) {
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
