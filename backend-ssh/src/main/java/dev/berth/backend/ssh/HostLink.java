// The connection to one host: a shared SSH session, reopened after it breaks, running commands as exec channels.
package dev.berth.backend.ssh;

import dev.berth.support.CappedOutput;
import dev.berth.support.OutputCaps;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.client.session.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.BackendException;

/**
 * The connection to one host: one authenticated {@link ClientSession}, opened on first use,
 * shared by every command to the host (each an exec channel), and reopened on the next use after
 * it broke. At most {@code maxChannels} command channels are open on it at once, beside the one
 * long-lived {@link LivenessChannel} (OpenSSH's MaxSessions is 10 by default). Followers of output
 * get a session of their own ({@link #openExtraSession()}). A terminal ({@link SshTerminal}) holds
 * one of those channels while it is open, and at most half of them are terminals, so that open
 * shells never starve the backend's own commands.
 * Thread-safe.
 */
final class HostLink implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(HostLink.class);
    /** At most this much of a command's stdout is kept, and of its stderr. */
    static final int OUTPUT_CAP = 4 << 20;

    /** What a remote command returned: its exit status (null if none came), stdout and stderr. */
    record Result(Integer exitCode, byte[] out, String err) {
        String text() {
            return new String(out, StandardCharsets.UTF_8);
        }

        List<String> lines() {
            return text().lines().toList();
        }

        boolean ok() {
            return exitCode != null && exitCode == 0;
        }

        /** Throws "{@code what} (exit status N): output" unless the command succeeded. */
        void requireOk(String what) {
            if (!ok()) {
                throw new BackendException(what + " (exit status " + exitCode + "): "
                        + OutputCaps.cutText((text() + " " + err).trim(), OutputCaps.LINE_BYTES));
            }
        }
    }

    private final SshHost host;
    private final SshClient client;
    private final List<KeyPair> keys;
    private final Duration connectTimeout;
    private final Duration authTimeout;
    private final Semaphore channels;
    private final Semaphore terminals;
    private final int maxChannels;
    private final Object lock = new Object();
    /** The shared session; guarded by lock. */
    private ClientSession session;
    /** Why the server's key was refused in the latest connect attempt, or null. */
    private volatile String refusal;
    private volatile boolean closed;
    /** How many sessions were opened (connects that authenticated), for tests and logs. */
    private volatile int connects;

    HostLink(SshHost host, SshClient client, List<KeyPair> keys, Duration connectTimeout, Duration authTimeout,
             int maxChannels) {
        this.host = host;
        this.client = client;
        this.keys = List.copyOf(keys);
        this.connectTimeout = connectTimeout;
        this.authTimeout = authTimeout;
        this.channels = new Semaphore(maxChannels, true);
        this.maxChannels = maxChannels;
        this.terminals = new Semaphore(maxChannels / 2);
    }

    SshHost host() {
        return host;
    }

    String where() {
        return "host '" + host.id() + "' (" + host.target() + ")";
    }

    int connects() {
        return connects;
    }

    /** Called by {@link HostKeys} when it refuses the server's key, with the reason to report. */
    void refused(String message) {
        refusal = message;
    }

    /** The open, authenticated shared session, connecting first if there is none or it broke. */
    ClientSession session() {
        synchronized (lock) {
            if (closed) {
                throw new BackendException(where() + ": the SSH backend is closed");
            }
            if (session != null && session.isOpen() && session.isAuthenticated()) {
                return session;
            }
            if (session != null) {
                LOG.info("{}: the SSH session broke, reconnecting", where());
                session.close(true);
                session = null;
            }
            session = connect();
            return session;
        }
    }

    /** A new authenticated session that the caller owns and closes. */
    ClientSession openExtraSession() {
        return connect();
    }

    private ClientSession connect() {
        refusal = null;
        ClientSession s = null;
        try {
            ConnectFuture future = client.connect(host.user(), host.address(), host.port(), HostKeys.context(this));
            if (!future.await(connectTimeout)) {
                future.cancel();
                throw new BackendException(where() + ": no SSH connection within " + connectTimeout);
            }
            if (future.getException() != null) {
                throw new BackendException(where() + ": cannot connect: " + describe(future.getException()),
                        future.getException());
            }
            s = future.getSession();
            for (KeyPair key : keys) {
                s.addPublicKeyIdentity(key);
            }
            s.auth().verify(authTimeout);
            connects++;
            LOG.debug("{}: SSH session open", where());
            return s;
        } catch (IOException | RuntimeException e) {
            if (s != null) {
                s.close(true);
            }
            String why = refusal;
            if (why != null) {
                throw new BackendException(why, e);
            }
            if (e instanceof BackendException b) {
                throw b;
            }
            throw new BackendException(where() + ": cannot open an SSH session: " + describe(e), e);
        }
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 400; t = t.getCause()) {
            String m = t.getMessage();
            if (sb.length() > 0) {
                sb.append(": ");
            }
            sb.append(m == null ? t.getClass().getSimpleName() : m);
            if (t.getCause() == t) {
                break;
            }
        }
        return sb.toString();
    }

    /** Drops the shared session (after a timeout: the host may be gone); the next use reconnects. */
    void drop(ClientSession broken) {
        synchronized (lock) {
            if (session == broken && session != null) {
                session.close(true);
                session = null;
            }
        }
    }

    /**
     * Runs {@code sh -c SCRIPT berth ARGS...} on the host with {@code stdin} (or nothing) as its
     * input and waits up to {@code timeout} for it to end. A timeout or transport failure throws a
     * BackendException naming the host.
     */
    Result run(String script, List<String> args, InputStream stdin, Duration timeout) {
        List<String> argv = new ArrayList<>(args.size() + 4);
        argv.add("sh");
        argv.add("-c");
        argv.add(script);
        argv.add("berth");
        argv.addAll(args);
        return exec(ShellQuote.join(argv), stdin, timeout);
    }

    /** Runs one command line (already quoted) on the shared session. */
    Result exec(String command, InputStream stdin, Duration timeout) {
        try {
            if (!channels.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new BackendException(where() + ": no free SSH channel within " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(where() + ": interrupted while waiting for an SSH channel", e);
        }
        try {
            ClientSession s = session(); // connecting has its own timeouts; the command's starts now
            long deadline = System.nanoTime() + timeout.toNanos();
            CappedOutput out = new CappedOutput(OUTPUT_CAP);
            CappedOutput err = new CappedOutput(OUTPUT_CAP);
            ChannelExec channel;
            try {
                channel = s.createExecChannel(command);
            } catch (IOException e) {
                drop(s);
                throw new BackendException(where() + ": cannot open an exec channel: " + describe(e), e);
            }
            try {
                channel.setOut(out);
                channel.setErr(err);
                try {
                    OpenFuture opened = channel.open();
                    if (!opened.await(remaining(deadline))) {
                        drop(s);
                        throw new BackendException(where() + ": no answer to opening a channel within " + timeout);
                    }
                    if (!opened.isOpened()) {
                        if (!s.isOpen()) {
                            drop(s);
                        }
                        Throwable why = opened.getException();
                        throw new BackendException(where() + ": the exec channel did not open"
                                + (why == null ? "" : ": " + describe(why)), why);
                    }
                } catch (IOException e) {
                    drop(s);
                    throw new BackendException(where() + ": cannot open an exec channel: " + describe(e), e);
                }
                try (OutputStream in = channel.getInvertedIn()) {
                    if (stdin != null) {
                        stdin.transferTo(in);
                    }
                } catch (IOException e) {
                    throw new BackendException(where() + ": cannot send input: " + describe(e), e);
                }
                Set<ClientChannelEvent> events = channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED),
                        remaining(deadline));
                if (!events.contains(ClientChannelEvent.CLOSED)) {
                    throw new BackendException(where() + ": no answer within " + timeout);
                }
                return new Result(channel.getExitStatus(), out.bytes(), err.text());
            } finally {
                channel.close(true);
            }
        } finally {
            channels.release();
        }
    }

    /**
     * Takes a channel for a terminal, waiting up to {@code timeout} for a free one; throws a
     * BackendException naming the host when half the host's channels are terminals already.
     * {@link #releaseTerminalChannel()} gives it back.
     */
    void takeTerminalChannel(String what, Duration timeout) {
        if (!terminals.tryAcquire()) {
            throw new BackendException(what + ": cannot open a terminal: " + (maxChannels / 2) + " are open on "
                    + where() + " already, the most it allows (half of maxChannelsPerHost " + maxChannels
                    + ", so that terminals never starve the backend's own commands)");
        }
        boolean taken = false;
        try {
            taken = channels.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (!taken) {
                throw new BackendException(what + ": cannot open a terminal: no free SSH channel on " + where()
                        + " within " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(what + ": interrupted while waiting for an SSH channel on " + where(), e);
        } finally {
            if (!taken) {
                terminals.release();
            }
        }
    }

    /** Gives back a channel {@link #takeTerminalChannel} took. */
    void releaseTerminalChannel() {
        channels.release();
        terminals.release();
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (session != null) {
                session.close(true);
                session = null;
            }
        }
    }
}
