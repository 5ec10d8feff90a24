// The command module: runs the preset's argv for each job with the job in BERTH_* environment variables, never through a shell.
package dev.berth.hooks;

import dev.berth.api.HookJob;
import dev.berth.api.InvalidSpecException;
import dev.berth.spi.HookModule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code command}: runs the option {@code argv} (a list: the program, then its arguments; never a
 * shell line) with {@code BERTH_EVENT} (UP or DOWN), {@code BERTH_JOB_ID}, {@code BERTH_APP},
 * {@code BERTH_INSTANCE}, {@code BERTH_RELEASE}, {@code BERTH_NODE}, {@code BERTH_ENDPOINT},
 * {@code BERTH_REASON} and {@code BERTH_AT} added to the platform's environment (absent values
 * are empty). Exit code 0 is success; another, or still running after the option
 * {@code timeoutSeconds} (default 30; then it is killed), fails the job. Its output is dropped
 * but for the last lines of a failure, which the failure's message carries.
 */
public final class CommandModule implements HookModule {
    @Override
    public String name() {
        return "command";
    }

    @Override
    public void validate(Map<String, Object> options) {
        List<String> argv = Options.texts(options, "argv");
        if (argv.get(0).isBlank()) {
            throw new InvalidSpecException("options.argv", argv, "a program first (a name on PATH or a path), then its arguments");
        }
        Options.number(options, "timeoutSeconds", 30, 1, 3600);
    }

    @Override
    public void handle(HookJob job, Map<String, Object> options) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(Options.texts(options, "argv")).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("BERTH_EVENT", job.type().name());
        env.put("BERTH_JOB_ID", job.id());
        env.put("BERTH_APP", job.app());
        env.put("BERTH_INSTANCE", job.instance());
        env.put("BERTH_RELEASE", orEmpty(job.release()));
        env.put("BERTH_NODE", orEmpty(job.node()));
        env.put("BERTH_ENDPOINT", orEmpty(job.endpoint()));
        env.put("BERTH_REASON", orEmpty(job.reason()));
        env.put("BERTH_AT", job.at().toString());
        java.nio.file.Path output = java.nio.file.Files.createTempFile("berth-hook-", ".out");
        try {
            Process p = pb.redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            try {
                if (!p.waitFor(Options.number(options, "timeoutSeconds", 30, 1, 3600), TimeUnit.SECONDS)) {
                    throw new IOException("the command ran past its timeout and was killed");
                }
            } finally {
                p.destroyForcibly();
            }
            if (p.exitValue() != 0) {
                String text = java.nio.file.Files.readString(output, StandardCharsets.UTF_8).strip();
                String tail = text.length() > 300 ? "..." + text.substring(text.length() - 300) : text;
                throw new IOException("the command exited with " + p.exitValue() + (tail.isEmpty() ? "" : ": " + tail));
            }
        } finally {
            java.nio.file.Files.deleteIfExists(output);
        }
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
