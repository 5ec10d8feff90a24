// A terminal in a container instance: Docker's exec -it through docker-java (keystrokes, screen, resize, exit code, hang-up).
package dev.berth.support.docker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;

import dev.berth.api.BackendException;
import dev.berth.spi.Terminal;

/**
 * A program on a pseudo-terminal in a running container: Docker's {@code exec -it}. The exec is
 * created with a TTY and stdin, stdout and stderr attached, {@code argv} as its command (no shell)
 * and the container's user, working directory and environment (Docker's defaults for an exec),
 * plus {@code TERM} when the container sets none. Its start
 * is a hijacked connection: what is written to {@link #input} goes through a pipe to that
 * connection, and the one stream a TTY has comes back through another pipe to {@link #output}.
 * The window size is set right after the start (Docker waits for the exec to run) and on every
 * {@link #resize}. {@link #waitFor} waits for the stream to end and answers the exit code from
 * an inspection of the exec.
 *
 * <p>Hang-up: Docker keeps a TTY exec running when its client goes away (closing the attach
 * stream only detaches), so {@link #close} signals the program's session itself: {@link Hangup}
 * sends SIGHUP (and SIGKILL to what is left after 3 s) to the exec's processes, found in this
 * host's {@code /proc} when the engine runs here. An engine elsewhere keeps the program running
 * until it exits (a warning says so). Close always ends the streams, their threads and pipes
 * ({@link #output} reads its end then).
 * Thread-safe.
 */
public final class DockerTerminal implements Terminal {
    private static final Logger LOG = LoggerFactory.getLogger(DockerTerminal.class);
    private static final long HUP_GRACE_MILLIS = 3_000;
    private static final long KILL_GRACE_MILLIS = 2_000;

    private final DockerClient docker;
    private final String host;
    private final String containerId;
    private final String execId;
    private final String what;
    private final Pipe.SinkChannel keys;
    private final Pipe.SourceChannel keysSource;
    private final OutputStream input;
    private final InputStream output;
    private final Pipe.SourceChannel screenSource;
    private final ExecScreen screen;
    private final Consumer<? super DockerTerminal> onClose;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DockerTerminal(DockerClient docker, String host, String containerId, String execId, String what, Pipe keys,
                           Pipe.SourceChannel screenSource, ExecScreen screen, Consumer<? super DockerTerminal> onClose) {
        this.docker = docker;
        this.host = host;
        this.containerId = containerId;
        this.execId = execId;
        this.what = what;
        this.keys = keys.sink();
        this.keysSource = keys.source();
        this.input = Channels.newOutputStream(this.keys);
        this.screenSource = screenSource;
        this.output = new Output(Channels.newInputStream(screenSource));
        this.screen = screen;
        this.onClose = onClose;
    }

    /**
     * Starts {@code argv} in the running container {@code c} of the engine {@code docker} (at
     * address {@code host}, for messages) on a terminal of {@code cols} by {@code rows};
     * {@code what} names it in messages and logs; {@code onClose} is told once when the terminal
     * is closed.
     */
    public static DockerTerminal start(DockerClient docker, String host, InspectContainerResponse c, List<String> argv,
                                       int cols, int rows, String what, Consumer<? super DockerTerminal> onClose) {
        Terminal.checkSize(cols, rows);
        String execId;
        try {
            var create = docker.execCreateCmd(c.getId()).withCmd(argv.toArray(String[]::new)).withTty(true)
                    .withAttachStdin(true).withAttachStdout(true).withAttachStderr(true);
            if (!hasTerm(c)) {
                create.withEnv(List.of("TERM=xterm-256color"));
            }
            execId = create.exec().getId();
        } catch (NotFoundException e) {
            throw new dev.berth.api.NotFoundException(what + ": no running container " + shortId(c.getId()) + " on "
                    + host + " (" + e.getMessage().trim() + ")");
        } catch (ConflictException e) {
            throw new BackendException(what + ": container " + shortId(c.getId()) + " does not run: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw DockerFailures.of(host, what + ": open a terminal for " + argv.get(0), e);
        }
        Pipe in;
        Pipe out;
        try {
            in = Pipe.open();
            out = Pipe.open();
        } catch (IOException e) {
            throw new BackendException(what + ": cannot open a terminal: no pipe: " + e.getMessage(), e);
        }
        ExecScreen screen = new ExecScreen(out.sink(), in.sink(), what);
        DockerTerminal t = new DockerTerminal(docker, host, c.getId(), execId, what, in, out.source(), screen, onClose);
        try {
            docker.execStartCmd(execId).withTty(true).withDetach(false)
                    .withStdIn(Channels.newInputStream(in.source())).exec(screen);
        } catch (RuntimeException e) {
            t.close();
            throw DockerFailures.of(host, what + ": start a terminal for " + argv.get(0), e);
        }
        LOG.info("{}: terminal {} ({}x{}, exec {})", what, argv.get(0), cols, rows, shortId(execId));
        t.resize(cols, rows);
        return t;
    }

    private static boolean hasTerm(InspectContainerResponse c) {
        String[] env = c.getConfig() == null ? null : c.getConfig().getEnv();
        return env != null && java.util.Arrays.stream(env).anyMatch(e -> e.startsWith("TERM="));
    }

    /** The first 12 characters of a Docker id, as {@code docker ps} shows it. */
    static String shortId(String id) {
        return id == null || id.length() <= 12 ? String.valueOf(id) : id.substring(0, 12);
    }

    @Override
    public OutputStream input() {
        return input;
    }

    @Override
    public InputStream output() {
        return output;
    }

    /** Sets the window size with Docker's resize-exec; after the program has ended, does nothing. */
    @Override
    public void resize(int cols, int rows) {
        Terminal.checkSize(cols, rows);
        if (closed.get() || screen.ended()) {
            LOG.debug("{}: no terminal to resize (it has ended)", what);
            return;
        }
        try {
            docker.resizeExecCmd(execId).withSize(rows, cols).exec();
        } catch (RuntimeException e) {
            if (closed.get() || screen.ended() || !running()) {
                LOG.debug("{}: no terminal to resize (it has ended): {}", what, e.toString());
            } else {
                LOG.warn("{}: cannot resize its terminal to {}x{}: {}", what, cols, rows,
                        DockerFailures.of(host, "resize exec " + shortId(execId), e).getMessage());
            }
        }
    }

    /** The exec's exit code, once its stream has ended and Docker has recorded how it exited. */
    @Override
    public int waitFor() throws InterruptedException {
        screen.await();
        // Docker records the exit a moment after the stream ends: look again briefly, bounded.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            InspectExecResponse r = inspect();
            if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) {
                return r.getExitCodeLong().intValue();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new BackendException(what + ": its terminal's output ended but Docker recorded no exit code within 10 s");
            }
            Thread.sleep(50);
        }
    }

    /**
     * Hangs up: ends the keystrokes, signals the program's session (SIGHUP, then SIGKILL after
     * 3 s), then closes the attach stream and the pipes. Idempotent; returns within about 6 s.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            quietly(keys); // the hijacking thread sees the end of the keystrokes and ends
            if (!screen.ended()) {
                hangUp();
            }
        } finally {
            quietly(screen); // the attach stream (its socket) and the thread reading it
            try {
                screen.await(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            quietly(keysSource);
            quietly(screenSource); // a reader sees the end; a stream thread stuck on a full pipe fails and ends
            onClose.accept(this);
        }
    }

    private void hangUp() {
        Long pid;
        try {
            pid = inspect().getPidLong();
        } catch (BackendException e) {
            LOG.warn("{}: cannot hang up its terminal: {}", what, e.getMessage());
            return;
        }
        List<Long> session = Hangup.session(pid == null ? 0 : pid, containerId);
        if (session.isEmpty()) {
            if (running()) {
                LOG.warn("{}: cannot hang up its terminal: the processes of exec {} are not visible on this host "
                        + "(is the engine {} elsewhere?); the program runs on in the container until it exits", what,
                        shortId(execId), host);
            }
            return;
        }
        LOG.info("{}: hanging up its terminal (exec {}, pids {})", what, shortId(execId), session);
        signal("HUP", session);
        try {
            if (screen.await(HUP_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                return;
            }
            List<Long> left = Hangup.session(pid, containerId);
            if (!left.isEmpty()) {
                LOG.warn("{}: its terminal's program ignored SIGHUP for {} ms: killing pids {}", what,
                        HUP_GRACE_MILLIS, left);
                signal("KILL", left);
                screen.await(KILL_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Signals host {@code pids}; when this host's kill is refused, the container's kill, as root, with its pids. */
    private void signal(String signal, List<Long> pids) {
        if (Hangup.kill(signal, pids)) {
            return;
        }
        List<String> argv = new ArrayList<>(List.of("kill", "-" + signal));
        for (long pid : pids) {
            argv.add(Long.toString(Hangup.containerPid(pid)));
        }
        try {
            String id = docker.execCreateCmd(containerId).withUser("0").withCmd(argv.toArray(String[]::new))
                    .exec().getId();
            docker.execStartCmd(id).withDetach(true).exec(new ResultCallback.Adapter<>()).awaitCompletion(5,
                    TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("{}: cannot send SIG{} to its terminal's program: {}", what, signal, e.toString());
        }
    }

    private boolean running() {
        try {
            return Boolean.TRUE.equals(inspect().isRunning());
        } catch (BackendException e) {
            return false;
        }
    }

    private InspectExecResponse inspect() {
        try {
            return docker.inspectExecCmd(execId).exec();
        } catch (NotFoundException e) {
            throw new BackendException(what + ": its terminal's exec " + shortId(execId) + " is gone from "
                    + host, e);
        } catch (RuntimeException e) {
            throw DockerFailures.of(host, what + ": inspect the terminal's exec " + shortId(execId), e);
        }
    }

    private void quietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("{}: closing its terminal: {}", what, e.toString());
        }
    }

    /** The screen pipe's reading end; once the terminal is closed, its closing reads as the end. */
    private final class Output extends InputStream {
        private final InputStream in;

        Output(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (IOException e) {
                if (closed.get()) {
                    return -1;
                }
                throw e;
            }
        }

        @Override
        public int available() throws IOException {
            return closed.get() ? 0 : in.available();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
