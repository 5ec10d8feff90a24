// The Commons Exec pieces for setups and exec: a launcher without pipes to this JVM, an executor, a tree-killing watchdog.
package dev.berth.backend.process;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteStreamHandler;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.Watchdog;
import org.apache.commons.exec.launcher.CommandLauncher;

/**
 * The Commons Exec pieces: a {@link CommandLauncher} on {@link ProcessBuilder} that sends the
 * child's stdout and stderr (appending) to a file and its stdin from /dev/null, so the child has
 * no pipe to this JVM and outlives it; an executor that uses it with daemon threads; and a
 * watchdog that kills the whole process tree. Not thread-safe: one set per launched process.
 */
final class Launch {
    static final String SETSID = "/usr/bin/setsid";
    private static final File DEV_NULL = new File("/dev/null");

    private Launch() {
    }

    /**
     * argv prefixed with setsid, so the child leads its own session and process group: a Ctrl-C
     * in the host's terminal must not reach instances, and stop must find the whole session.
     */
    static List<String> inNewSession(List<String> argv) {
        if (!new File(SETSID).canExecute()) {
            throw new dev.berth.api.BackendException(SETSID + " is missing: the process backend needs it to run instances "
                    + "in their own session; install Debian's util-linux package");
        }
        List<String> all = new ArrayList<>(argv.size() + 1);
        all.add(SETSID);
        all.addAll(argv);
        return all;
    }

    /** A CommandLine for display only: the launcher uses the exact argv, untouched by quoting or substitution. */
    static CommandLine commandLine(List<String> argv) {
        CommandLine cl = new CommandLine(argv.get(0));
        for (int i = 1; i < argv.size(); i++) {
            cl.addArgument(argv.get(i), false);
        }
        return cl;
    }

    /** Exactly {@code argv} (no quoting, no substitution), in {@code dir}, with exactly {@code env} when given. */
    private static ProcessBuilder processBuilder(List<String> argv, Map<String, String> env, File dir) {
        ProcessBuilder pb = new ProcessBuilder(argv);
        if (env != null) {
            pb.environment().clear();
            pb.environment().putAll(env);
        }
        if (dir != null) {
            pb.directory(dir);
        }
        return pb;
    }

    /**
     * Launches exactly {@code argv}: with stdin from /dev/null and stdout/stderr appended to
     * {@code output} (instances, setup: no pipe to this JVM), or, when {@code output} is null,
     * with pipes that the executor's stream handler reads (exec). Remembers the process.
     */
    static final class ExactLauncher implements CommandLauncher {
        private final List<String> argv;
        private final Path output;
        final CompletableFuture<Process> process = new CompletableFuture<>();

        ExactLauncher(List<String> argv, Path output) {
            this.argv = List.copyOf(argv);
            this.output = output;
        }

        @Override
        public Process exec(CommandLine cmd, Map<String, String> env) throws IOException {
            return exec(cmd, env, (File) null);
        }

        @Override
        public Process exec(CommandLine cmd, Map<String, String> env, File dir) throws IOException {
            ProcessBuilder pb = processBuilder(argv, env, dir);
            if (output != null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(DEV_NULL));
                pb.redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
            }
            pb.redirectErrorStream(true);
            try {
                Process p = pb.start();
                process.complete(p);
                return p;
            } catch (IOException | RuntimeException e) {
                process.completeExceptionally(e);
                throw e;
            }
        }

        @Override
        public boolean isFailure(int exitValue) {
            return false;
        }
    }

    /**
     * A DefaultExecutor that launches through the given launcher, on daemon threads named after
     * the instance, accepting every exit value (the caller interprets it), with no process destroyer.
     */
    static final class Executor extends DefaultExecutor {
        private final CommandLauncher launcher;
        private final String threadName;

        @SuppressWarnings("deprecation")
        Executor(CommandLauncher launcher, Path workDir, String threadName) {
            super();
            this.launcher = launcher;
            this.threadName = threadName;
            setWorkingDirectory(workDir.toFile());
            setExitValues(null);
        }

        @Override
        protected Process launch(CommandLine command, Map<String, String> env, File workingDirectory) throws IOException {
            return launcher.exec(command, env, workingDirectory);
        }

        @Override
        protected Process launch(CommandLine command, Map<String, String> env, Path workingDirectory) throws IOException {
            return launcher.exec(command, env, workingDirectory == null ? null : workingDirectory.toFile());
        }

        @Override
        protected Thread createThread(Runnable runnable, String name) {
            Thread t = new Thread(runnable, threadName);
            t.setDaemon(true);
            return t;
        }
    }

    /** For processes whose output goes to a file: there is nothing to pump. */
    static final class NoStreams implements ExecuteStreamHandler {
        @Override
        public void setProcessErrorStream(InputStream is) {
        }

        @Override
        public void setProcessInputStream(OutputStream os) {
        }

        @Override
        public void setProcessOutputStream(InputStream is) {
        }

        @Override
        public void start() {
        }

        @Override
        public void stop() {
        }
    }

    /** Kills the process and all its descendants when the timeout passes. */
    static final class TreeWatchdog extends ExecuteWatchdog {
        private volatile Process process;
        private volatile boolean timedOut;

        @SuppressWarnings("deprecation")
        TreeWatchdog(long timeoutMillis) {
            super(timeoutMillis);
        }

        @Override
        public synchronized void start(Process process) {
            this.process = process;
            super.start(process);
        }

        @Override
        public synchronized void timeoutOccured(Watchdog w) {
            Process p = process;
            if (p != null && p.isAlive()) {
                timedOut = true;
                Procs.signal(Procs.tree(p.toHandle()), true);
            }
            super.timeoutOccured(w);
        }

        /** Whether the timeout passed while the process ran (and so it was killed). */
        boolean timedOut() {
            return timedOut;
        }
    }
}
