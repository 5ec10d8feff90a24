// Launching one instance through its wrapper, detached from this JVM, and reading its pid and exit files.
package dev.berth.backend.process;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import dev.berth.api.BackendException;

/**
 * Launches one instance through {@link Wrapper}, detached from this JVM (no process object is
 * kept: it costs no thread), with stdin from /dev/null and stdout/stderr appended to
 * {@code output.log}, and waits, bounded, for the pid file its INNER script writes. Stateless.
 */
final class InstanceLauncher {
    private static final File DEV_NULL = new File("/dev/null");

    /** What the pid file says. */
    record Launched(long pid, long ticks, long wrapperPid, long wrapperTicks) {
    }

    private InstanceLauncher() {
    }

    /**
     * Starts {@code command} for the instance whose directory is {@code dir}; returns once its pid
     * file is there. A command that is missing, or that exits before its pid file is written, is a
     * BackendException with the start of its output.
     */
    static Launched launch(String what, String id, Path dir, Path workDir, Optional<RunAs> runAs,
                           Optional<InstanceCgroup> cgroup, List<String> command, Map<String, String> env,
                           Duration timeout) {
        Path pidFile = dir.resolve(Wrapper.PID);
        Path exitFile = dir.resolve(Wrapper.EXIT);
        Path output = dir.resolve(LogFiles.OUTPUT);
        long outputFrom;
        try {
            for (String name : List.of(Wrapper.PID, Wrapper.EXIT, ".pid.tmp", ".exit.tmp")) {
                Files.deleteIfExists(dir.resolve(name));
            }
            outputFrom = Files.exists(output, LinkOption.NOFOLLOW_LINKS) ? Files.size(output) : 0;
        } catch (IOException e) {
            throw new BackendException(what + ": cannot prepare " + dir + ": " + e, e);
        }
        List<String> argv = Wrapper.argv(id, dir, workDir, runAs,
                cgroup.map(InstanceCgroup::procsFiles).orElse(List.of()), command);
        ProcessBuilder pb = new ProcessBuilder(argv).directory(dir.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(DEV_NULL));
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        pb.redirectErrorStream(true);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            Process setsid = pb.start();
            if (!setsid.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                setsid.destroyForcibly();
                throw new BackendException(what + ": setsid did not return within " + timeout);
            }
            if (setsid.exitValue() != 0) {
                throw new BackendException(what + ": cannot launch " + command + ": setsid " + Procs.describe(setsid.exitValue())
                        + output(output, outputFrom));
            }
            long sleep = 1;
            while (true) {
                Optional<Launched> launched = read(pidFile);
                if (launched.isPresent()) {
                    return launched.get();
                }
                if (Files.exists(exitFile)) {
                    int code = readExit(exitFile).orElse(-1);
                    throw new BackendException(what + ": cannot launch " + command + " in " + workDir + ": "
                            + Procs.describe(code) + " before it started" + output(output, outputFrom));
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new BackendException(what + ": " + command + " wrote no pid file within " + timeout
                            + output(output, outputFrom));
                }
                Thread.sleep(sleep);
                sleep = Math.min(20, sleep * 2);
            }
        } catch (IOException e) {
            throw new BackendException(what + ": cannot launch " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(what + ": interrupted while launching", e);
        }
    }

    /** The pid file's content, empty while it is not (yet) there. */
    static Optional<Launched> read(Path pidFile) throws IOException {
        String text;
        try {
            text = Files.readString(pidFile, StandardCharsets.US_ASCII).trim();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        String[] f = text.split(" ");
        try {
            return Optional.of(new Launched(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
                    Long.parseLong(f[3])));
        } catch (RuntimeException e) {
            throw new IOException("malformed pid file " + pidFile + ": '" + Names.printable(text) + "'", e);
        }
    }

    /** The status the wrapper recorded, empty when there is none (yet) or it is unreadable. */
    static Optional<Integer> readExit(Path exitFile) {
        try {
            return Optional.of(Integer.valueOf(Files.readString(exitFile, StandardCharsets.US_ASCII).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** What the launch printed, bounded. */
    private static String output(Path output, long from) {
        try {
            List<String> lines = LogFiles.tailOf(output, 20, LogFiles.ERROR_TAIL_CAP);
            long size = Files.size(output);
            if (size <= from) {
                return "";
            }
            return "; last lines of " + output + ":\n" + String.join("\n", lines);
        } catch (IOException e) {
            return "";
        }
    }
}
