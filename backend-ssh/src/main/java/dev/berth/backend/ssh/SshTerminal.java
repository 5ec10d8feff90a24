// A terminal in an instance on an SSH host: the program on the PTY of an exec channel of the host's shared session, in the instance's dir, env and user.
package dev.berth.backend.ssh;

import dev.berth.api.BackendException;
import dev.berth.spi.Terminal;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelListener;
import org.apache.sshd.common.channel.PtyChannelConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A program on a pseudo-terminal in an instance on an SSH host. It is an exec channel with a PTY
 * ({@code pty-req}: {@value #TERM_TYPE}, the columns and rows asked for) on the host's shared
 * session, holding one of the host's channels while it is open ({@link HostLink#takeTerminalChannel}).
 * The remote command is built as {@link SshConsole#exec} builds its own: {@code sh -c SCRIPT berth
 * BASE ID ARGV...}, every piece quoted by {@link ShellQuote}; the constant {@link #SCRIPT} enters the
 * instance's working dir (or its instance dir) and runs argv with the instance's env, as the host's
 * user, which is the user instances run as; {@code TERM} comes from the PTY unless the app sets its
 * own. No coreutils {@code timeout} here: it would put the program in a process group of its own,
 * away from the terminal's foreground, and a terminal lasts as long as its user wants.
 *
 * <p>Keystrokes go to the channel's stdin (each write is sent at once); the PTY merges stdout and
 * stderr into the channel's stdout, which {@link #output} reads (flow-controlled by the SSH window:
 * a reader that stops reading stops the program once the window is full). A resize is a
 * {@code window-change} request, which sshd turns into SIGWINCH. {@link #close} closes the channel:
 * sshd closes the PTY and the program gets SIGHUP; the shared session stays open. The exit code
 * is the channel's exit status, or 128+N for a program killed by signal N, or 129 (SIGHUP) when
 * the terminal was closed before the program ended. No thread of its own. Thread-safe.
 */
final class SshTerminal implements Terminal {
    private static final Logger LOG = LoggerFactory.getLogger(SshTerminal.class);
    /** The terminal type told to sshd; it sets {@code TERM} from it. */
    static final String TERM_TYPE = "xterm-256color";
    /** How long a hang-up waits for sshd's answer before the channel is dropped on this side. */
    private static final Duration HANG_UP_WAIT = Duration.ofSeconds(5);
    private static final int SIGHUP_CODE = 128 + 1;
    /** What ssh(1) answers when it cannot tell how the remote program ended. */
    private static final int UNKNOWN_CODE = 255;

    /**
     * Runs argv on the PTY in the instance's working dir (its instance dir if that is gone) with
     * its env file sourced over the login's basics and {@code TERM}. Exit 97 and
     * "berth: no such instance" when the instance dir has no meta or env file. Args: base id argv...
     */
    static final String SCRIPT = """
            d=$1/instances/$2; shift 2
            [ -f "$d/meta" ] && [ -f "$d/env.sh" ] || { echo "berth: no such instance" >&2; exit 97; }
            read -r v app rel node port at wd ports <"$d/meta"
            cd "$wd" 2>/dev/null || cd "$d" || exit 1
            exec %ENV% "$d/env.sh" "$@"
            """.replace("%ENV%", Scripts.BASE_ENV.replace("env -i ", "env -i ${TERM+\"TERM=$TERM\"} "));

    private final HostLink link;
    private final ChannelExec channel;
    private final String what;
    private final Consumer<SshTerminal> onEnd;
    private final OutputStream keys;
    private final CountDownLatch ended = new CountDownLatch(1);
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile boolean hungUp;

    private SshTerminal(HostLink link, ChannelExec channel, String what, Consumer<SshTerminal> onEnd) {
        this.link = link;
        this.channel = channel;
        this.what = what;
        this.onEnd = onEnd;
        this.keys = new Keys(channel.getInvertedIn());
    }

    /**
     * Opens a terminal of {@code cols} by {@code rows} running {@code argv} in instance {@code id}
     * on {@code link}'s host; {@code timeout} bounds waiting for a channel and its opening.
     * {@code onEnd} gets the terminal once when its channel has closed (the program ended, or a hang-up).
     *
     * @param what the instance and host, for messages
     */
    static SshTerminal open(HostLink link, String id, List<String> argv, int cols, int rows, Duration timeout,
                            String what, Consumer<SshTerminal> onEnd) {
        Terminal.checkSize(cols, rows);
        link.takeTerminalChannel(what, timeout);
        ChannelExec channel = null;
        try {
            ClientSession s = link.session();
            PtyChannelConfiguration pty = new PtyChannelConfiguration();
            pty.setPtyType(TERM_TYPE);
            pty.setPtyColumns(cols);
            pty.setPtyLines(rows);
            List<String> command = new ArrayList<>(List.of("sh", "-c", SCRIPT, "berth", link.host().baseDir(), id));
            command.addAll(argv);
            try {
                channel = s.createExecChannel(ShellQuote.join(command), pty, Map.of());
                channel.setUsePty(true);
                channel.setRedirectErrorStream(true); // a PTY merges them anyway; nothing may wait unread
                OpenFuture opened = channel.open();
                if (!opened.await(timeout)) {
                    link.drop(s);
                    throw new BackendException(what + ": cannot open a terminal: no answer to opening a channel within "
                            + timeout);
                }
                if (!opened.isOpened()) {
                    if (!s.isOpen()) {
                        link.drop(s);
                    }
                    Throwable why = opened.getException();
                    throw new BackendException(what + ": cannot open a terminal: the channel did not open"
                            + (why == null ? "" : ": " + why.getMessage()), why);
                }
            } catch (IOException e) {
                link.drop(s);
                throw new BackendException(what + ": cannot open a terminal: " + e.getMessage(), e);
            }
            SshTerminal t = new SshTerminal(link, channel, what, onEnd);
            channel.addChannelListener(t.new Ending());
            channel.addCloseFutureListener(f -> t.ended());
            LOG.info("{}: terminal {} ({}x{})", what, argv.get(0), cols, rows);
            LOG.debug("{}: terminal argv {}", what, argv);
            return t;
        } catch (RuntimeException | Error e) {
            if (channel != null) {
                channel.close(true);
            }
            link.releaseTerminalChannel();
            throw e;
        }
    }

    /** Wakes {@link #waitFor} when an exit status or signal comes or the channel closes. */
    private final class Ending implements ChannelListener {
        @Override
        public void channelStateChanged(Channel c, String hint) {
            if (channel.getExitStatus() != null || channel.getExitSignal() != null) {
                ended.countDown();
            }
        }

        @Override
        public void channelClosed(Channel c, Throwable reason) {
            ended();
        }
    }

    /** The channel has closed: gives its channel back to the host, once. */
    private void ended() {
        ended.countDown();
        if (released.compareAndSet(false, true)) {
            link.releaseTerminalChannel();
            LOG.debug("{}: terminal channel closed", what);
            onEnd.accept(this);
        }
    }

    /** Whether the channel has closed. */
    boolean isEnded() {
        return released.get();
    }

    @Override
    public OutputStream input() {
        return keys;
    }

    @Override
    public InputStream output() {
        return channel.getInvertedOut();
    }

    @Override
    public void resize(int cols, int rows) {
        Terminal.checkSize(cols, rows);
        if (!channel.isOpen() || channel.isClosing()) {
            LOG.debug("{}: no terminal to resize (the program has ended)", what);
            return;
        }
        try {
            channel.sendWindowChange(cols, rows);
        } catch (IOException e) {
            LOG.warn("{}: cannot resize its terminal to {}x{}: {}", what, cols, rows, e.getMessage());
        }
    }

    @Override
    public int waitFor() throws InterruptedException {
        while (!ended.await(1, TimeUnit.SECONDS)) {
            if (channel.getExitStatus() != null || channel.getExitSignal() != null || channel.isClosed()) {
                break; // a missed wake-up costs a second at most
            }
        }
        Integer status = channel.getExitStatus();
        if (status != null) {
            return status;
        }
        String signal = channel.getExitSignal();
        if (signal != null) {
            return exitCodeOfSignal(signal);
        }
        if (hungUp) {
            return SIGHUP_CODE;
        }
        throw new BackendException(what + ": the terminal's channel closed without an exit status (the SSH "
                + "connection to the host broke?)");
    }

    /** 128+N for a signal named as RFC 4254 names it ({@code INT}, {@code KILL}: Linux numbers), 255 for another. */
    static int exitCodeOfSignal(String name) {
        String n = name.startsWith("SIG") ? name.substring(3) : name;
        int signal = switch (n) {
            case "HUP" -> 1;
            case "INT" -> 2;
            case "QUIT" -> 3;
            case "ILL" -> 4;
            case "TRAP" -> 5;
            case "ABRT" -> 6;
            case "BUS" -> 7;
            case "FPE" -> 8;
            case "KILL" -> 9;
            case "USR1" -> 10;
            case "SEGV" -> 11;
            case "USR2" -> 12;
            case "PIPE" -> 13;
            case "ALRM" -> 14;
            case "TERM" -> 15;
            case "XCPU" -> 24;
            case "XFSZ" -> 25;
            case "SYS" -> 31;
            default -> 0;
        };
        if (signal == 0) {
            LOG.warn("the program was killed by signal '{}', which has no known number: exit code {}",
                    Names.printable(name), UNKNOWN_CODE);
            return UNKNOWN_CODE;
        }
        return 128 + signal;
    }

    @Override
    public void close() {
        if (!isEnded()) {
            hungUp = true;
            LOG.debug("{}: hanging up its terminal", what);
            try {
                if (!channel.close(false).await(HANG_UP_WAIT)) {
                    LOG.warn("{}: sshd did not answer the terminal's hang-up within {}; dropping the channel", what,
                            HANG_UP_WAIT);
                }
            } catch (IOException e) {
                LOG.debug("{}: hanging up: {}", what, e.toString());
            }
        }
        channel.close(true);
        ended();
    }

    /** The channel's stdin, sending every write at once (keystrokes are not to wait in a buffer). */
    private static final class Keys extends OutputStream {
        private final OutputStream in;

        Keys(OutputStream in) {
            this.in = in;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            in.write(b, off, len);
            in.flush();
        }

        /**
         * Nothing to do: every write was sent. (Flushing the channel again would fail once the
         * program has exited on the keys just sent, as after {@code exit}.)
         */
        @Override
        public void flush() {
        }

        /** Sends EOF on the channel's stdin; a shell on the terminal ends on Ctrl-D (byte 4) or a hang-up instead. */
        @Override
        public synchronized void close() throws IOException {
            in.close();
        }
    }
}
