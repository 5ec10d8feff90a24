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
 * {@code BERTH_REASON} and {@code BERTH_AT} (absent values are empty), and of the controller's
 * environment only {@code PATH}, {@code HOME}, {@code LANG}, {@code LC_ALL}, {@code TZ} and
 * {@code USER}. Exit code 0 is success; another, or still running after the option
 * {@code timeoutSeconds} (1-600, default 30; then it and what it started are killed), fails the
 * job. Its output is dropped but for the last 300 bytes of a failure, which the failure's message
 * carries (shown to admin tokens only).
 */
public final class CommandModule implements HookModule {
    /** The longest a command may run. */
    static final int MAX_TIMEOUT_SECONDS = 600;
    /** The controller's variables a command gets; nothing else of its environment. */
    private static final java.util.List<String> KEPT = java.util.List.of("PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER");

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
        Options.number(options, "timeoutSeconds", 30, 1, MAX_TIMEOUT_SECONDS);
    }

    @Override
    public void handle(HookJob job, Map<String, Object> options) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(Options.texts(options, "argv")).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        Map<String, String> kept = new java.util.HashMap<>();
        for (String name : KEPT) { // not the controller's whole environment: it may hold its secrets
            if (env.get(name) != null) {
                kept.put(name, env.get(name));
            }
        }
        env.clear();
        env.putAll(kept);
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
            boolean ended;
            try {
                ended = p.waitFor(Options.number(options, "timeoutSeconds", 30, 1, MAX_TIMEOUT_SECONDS), TimeUnit.SECONDS);
            } finally {
                p.descendants().forEach(ProcessHandle::destroyForcibly); // what a shell started, too
                p.destroyForcibly();
            }
            if (!ended) {
                throw new IOException("the command ran past its timeout and was killed");
            }
            if (p.exitValue() != 0) {
                String tail = tail(output);
                throw new IOException("the command exited with " + p.exitValue() + (tail.isEmpty() ? "" : ": " + tail));
            }
        } finally {
            java.nio.file.Files.deleteIfExists(output);
        }
    }

    /** The output's last 300 bytes, decoded leniently (the output may be anything). */
    private static String tail(java.nio.file.Path output) throws IOException {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(output.toFile(), "r")) {
            long from = Math.max(0, f.length() - 300);
            byte[] bytes = new byte[(int) (f.length() - from)];
            f.seek(from);
            f.readFully(bytes);
            String text = new String(bytes, StandardCharsets.UTF_8).strip();
            return from > 0 ? "..." + text : text;
        }
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
