// A terminal in a process instance: the program on a pseudo-terminal made by util-linux's script, in the instance's dir, env and user.
package dev.berth.backend.process;

import dev.berth.api.BackendException;
import dev.berth.spi.Terminal;
import dev.berth.support.ShellWords;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A program on a pseudo-terminal for a process instance. The JDK cannot open a pseudo-terminal,
 * so util-linux's {@code script} does ({@code script -q -e -c CMD /dev/null}: quiet, the
 * program's exit code, no typescript file): it makes the pair, runs the program on the slave
 * side and relays between the master and its own stdin/stdout, which are this class's pipes.
 * {@code CMD} is the only shell string: {@code stty cols C rows R; exec ARGV}, with every
 * argument quoted ({@link ShellWords}). It runs as the instance runs (its user, its working
 * directory, its environment). A resize finds the slave through the program's stdin
 * ({@code /proc/PID/fd/0}) and sets its size with {@code stty -F}, which sends the program
 * SIGWINCH. Close hangs up: {@code script} and the program get SIGHUP.
 */
final class ProcessTerminal implements Terminal {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessTerminal.class);
    private final Process script;
    private final String what;

    private ProcessTerminal(Process script, String what) {
        this.script = script;
        this.what = what;
    }

    /**
     * Starts {@code argv} on a pseudo-terminal of {@code cols} by {@code rows}.
     *
     * @param prefix the user switch of the instance (empty when it runs as the platform's user)
     * @param cwd    the directory to start in (the instance's working dir, or the instance's dir when the user switch enters it)
     * @param enter  arguments that enter the working dir as the user, before the program ({@code sh -c 'cd ...' DIR}), or none
     */
    static ProcessTerminal start(List<String> prefix, Path cwd, List<String> enter, java.util.Map<String, String> env,
                                 List<String> argv, int cols, int rows, String what) {
        Terminal.checkSize(cols, rows);
        String cmd = "stty cols " + cols + " rows " + rows + " 2>/dev/null; exec " + ShellWords.join(argv);
        List<String> command = new ArrayList<>(prefix);
        command.addAll(enter);
        command.addAll(List.of("script", "-q", "-e", "-c", cmd, "/dev/null"));
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.environment().putIfAbsent("TERM", "xterm-256color");
        try {
            Process p = pb.start();
            LOG.info("{}: terminal {} ({}x{})", what, argv.get(0), cols, rows);
            return new ProcessTerminal(p, what);
        } catch (IOException e) {
            throw new BackendException(what + ": cannot open a terminal (util-linux's script is needed): " + e.getMessage(), e);
        }
    }

    @Override
    public OutputStream input() {
        return script.getOutputStream();
    }

    @Override
    public InputStream output() {
        return script.getInputStream();
    }

    @Override
    public void resize(int cols, int rows) {
        Terminal.checkSize(cols, rows);
        Optional<Path> tty = slave();
        if (tty.isEmpty()) {
            LOG.debug("{}: no terminal to resize (the program has not started or has ended)", what);
            return;
        }
        try {
            Process stty = new ProcessBuilder("stty", "-F", tty.get().toString(), "cols", Integer.toString(cols),
                    "rows", Integer.toString(rows)).redirectErrorStream(true).start();
            stty.getInputStream().readAllBytes();
            if (!stty.waitFor(5, TimeUnit.SECONDS) || stty.exitValue() != 0) {
                LOG.warn("{}: cannot resize its terminal {} to {}x{}", what, tty.get(), cols, rows);
            }
        } catch (IOException e) {
            LOG.warn("{}: cannot resize its terminal: {}", what, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The slave side: the stdin of script's child (the program), a /dev/pts/N. */
    private Optional<Path> slave() {
        long pid = script.pid();
        try {
            String children = Files.readString(Path.of("/proc/" + pid + "/task/" + pid + "/children"), StandardCharsets.US_ASCII);
            for (String child : children.trim().split("\\s+")) {
                if (child.matches("[0-9]+")) {
                    Path fd0 = Files.readSymbolicLink(Path.of("/proc/" + child + "/fd/0"));
                    if (fd0.toString().startsWith("/dev/pts/")) {
                        return Optional.of(fd0);
                    }
                }
            }
        } catch (IOException | SecurityException e) {
            LOG.debug("{}: looking for its terminal: {}", what, e.toString());
        }
        return Optional.empty();
    }

    @Override
    public int waitFor() throws InterruptedException {
        return script.waitFor();
    }

    @Override
    public void close() {
        if (script.isAlive()) {
            try {
                new ProcessBuilder("kill", "-HUP", Long.toString(script.pid())).start().waitFor(5, TimeUnit.SECONDS);
            } catch (IOException e) {
                script.destroy();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                script.destroy();
            }
        }
        try {
            if (!script.waitFor(5, TimeUnit.SECONDS)) {
                script.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            script.destroyForcibly();
        }
    }
}
