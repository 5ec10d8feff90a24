// One host's long-lived liveness channel: a constant sh loop that answers a liveness round per request.
package dev.berth.backend.ssh;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.util.buffer.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.BackendException;

/**
 * The long-lived liveness channel of one host: one exec channel, opened once per SSH session
 * (reopened when it breaks), running {@link #SCRIPT}, a constant sh loop that answers one
 * liveness round per request line. A round costs a line written and the host's answer read: no
 * channel open and no login shell, which only the opening pays (a slow {@code ~/.bashrc} costs
 * once per session, never per check).
 *
 * <p>Request and answer, not a stream the host pushes on its own: each round carries the
 * "id:pid" retire list of the previous rounds, a synchronous {@code checkHosts()} gets a fresh
 * listing taken after it was asked for (its time known exactly), and a controller that stops
 * asking costs the host nothing and never finds stale rounds queued up.
 *
 * <p>Timing: {@link #round} gives the host {@code checkTimeout} from the request to the round's
 * END; that is the only wait that makes the host "silent". Opening the channel waits up to
 * {@code openTimeout} for the script's hello line (the login shell runs first), and while it waits
 * it asks sshd itself every {@code checkTimeout} for a keepalive reply: a host whose sshd answers
 * is not silent however slow its login shell is, one that stops answering is. Thread-safe (one
 * round at a time).
 */
final class LivenessChannel implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(LivenessChannel.class);
    private static final String HELLO = "BERTH-LIVENESS 1";
    /** The marker the queue gets when the channel closes. */
    private static final String EOF = new String("<eof>");
    /**
     * At most this many lines wait to be read (more are dropped, and the round then misses its
     * END); an answer longer than this means a broken script: the channel is dropped.
     */
    private static final int MAX_LINES = 100_000;
    private static final Pattern RETIRE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}:[0-9]{1,10}");

    /**
     * The loop: the hello line, then per request line "R SEQ [id:pid ...]" the listing of
     * {@link Scripts#LISTING} for those arguments and "END SEQ". Reading stdin to its end (the
     * channel closed, or the session gone) ends it. Only builtins per round: no fork. Args: base.
     */
    static final String SCRIPT = Scripts.LIB + Scripts.LISTING + """
            base=$1
            echo "%HELLO%"
            while read -r cmd seq rest; do
              case "$cmd" in
                R) listing "$base" $rest ;;
                *) echo "E unknown request" ;;
              esac
              echo "END $seq"
            done
            """.replace("%HELLO%", HELLO);

    private final HostLink link;
    private final Duration checkTimeout;
    private final Duration openTimeout;
    private final AtomicLong rounds = new AtomicLong();
    private final AtomicLong opens = new AtomicLong();
    private final AtomicLong maxRoundNanos = new AtomicLong();
    private volatile long lastRoundNanos;
    private long seq;
    /** The open channel (volatile for {@link #close()}), its session and its lines; written under this. */
    private volatile ChannelExec channel;
    private ClientSession session;
    private LinkedBlockingQueue<String> lines;
    private volatile boolean closed;
    /** Whether the channel's break was logged and it has not opened since; guarded by this. */
    private boolean reopening;

    LivenessChannel(HostLink link, Duration checkTimeout, Duration openTimeout) {
        this.link = link;
        this.checkTimeout = checkTimeout;
        this.openTimeout = openTimeout;
    }

    /**
     * One liveness round: the lines of {@link Scripts#LISTING} for base dir and {@code retire}
     * (each "id:pid"), without the END line. Opens the channel first if there is none (or it
     * broke); a channel found broken during the round is reopened once and the round asked again.
     * Throws a BackendException naming the host when it does not answer; a silent host's session is
     * dropped, so that the next round reconnects.
     */
    synchronized List<String> round(List<String> retire) {
        for (String r : retire) {
            if (r == null || !RETIRE.matcher(r).matches()) {
                throw new IllegalArgumentException("retire entry '" + Names.printable(r) + "' is not allowed: must be "
                        + "id:pid (an instance id, a colon, 1-10 digits)");
            }
        }
        if (closed) {
            throw new BackendException(link.where() + ": the SSH backend is closed");
        }
        boolean fresh = false;
        if (!isOpen()) {
            if (opens.get() > 0 && !reopening) {
                reopening = true; // logged once per break, not per failed attempt
                LOG.info("{}: the liveness channel closed: reopening it (its login shell starts once more)", link.where());
            }
            open();
            fresh = true;
        }
        try {
            return ask(retire);
        } catch (Broken e) {
            if (fresh || closed) {
                throw new BackendException(link.where() + ": the liveness channel broke: " + e.getMessage());
            }
            LOG.info("{}: the liveness channel broke ({}): reopening it", link.where(), e.getMessage());
            open();
            try {
                return ask(retire);
            } catch (Broken again) {
                throw new BackendException(link.where() + ": the liveness channel broke right after it was reopened: "
                        + again.getMessage());
            }
        }
    }

    /** A channel found closed during a round: the host may well be fine (reopen and ask again). */
    private static final class Broken extends Exception {
        Broken(String message) {
            super(message, null, false, false);
        }
    }

    private boolean isOpen() {
        return channel != null && channel.isOpen() && !channel.isClosing() && session != null && session.isOpen();
    }

    /** Sends one request and reads the round's lines until its END, within checkTimeout. */
    private List<String> ask(List<String> retire) throws Broken {
        long id = ++seq;
        StringBuilder request = new StringBuilder("R ").append(id);
        retire.forEach(r -> request.append(' ').append(r));
        request.append('\n');
        long start = System.nanoTime();
        long deadline = start + checkTimeout.toNanos();
        try {
            OutputStream in = channel.getInvertedIn();
            in.write(request.toString().getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException | RuntimeException e) {
            drop();
            throw new Broken("cannot send a request: " + e.getMessage());
        }
        String end = "END " + id;
        List<String> answer = new ArrayList<>();
        while (true) {
            String line = poll(lines, deadline);
            if (line == null) {
                drop();
                link.drop(session);
                throw new BackendException(link.where() + ": no answer to a liveness round within " + checkTimeout);
            }
            if (line == EOF) {
                drop();
                throw new Broken("the channel closed");
            }
            if (line.equals(end)) {
                break;
            }
            if (line.startsWith("END ")) {
                continue; // the end of an older round, asked before a timeout: its lines were dropped with it
            }
            answer.add(line);
            if (answer.size() > MAX_LINES) {
                drop();
                throw new BackendException(link.where() + ": the liveness round answered over " + MAX_LINES + " lines");
            }
        }
        long took = System.nanoTime() - start;
        lastRoundNanos = took;
        maxRoundNanos.accumulateAndGet(took, Math::max);
        rounds.incrementAndGet();
        return answer;
    }

    private String poll(LinkedBlockingQueue<String> queue, long deadline) {
        try {
            return queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(link.where() + ": interrupted while waiting for a liveness round");
        }
    }

    /** Opens the channel on the host's shared session and waits for the script's hello. */
    private void open() {
        drop();
        ClientSession s = link.session(); // connect and auth have their own timeouts
        LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
        ChannelExec c;
        try {
            c = s.createExecChannel(ShellQuote.join(List.of("sh", "-c", SCRIPT, "berth", link.host().baseDir())));
            c.setOut(new Follower.Lines(line -> {
                if (queue.size() < MAX_LINES) {
                    queue.add(line);
                }
            }));
            c.setErr(OutputStream.nullOutputStream());
            c.addCloseFutureListener(f -> queue.add(EOF));
            OpenFuture opened = c.open();
            if (!opened.await(checkTimeout) || !opened.isOpened()) {
                c.close(true);
                link.drop(s);
                Throwable why = opened.getException();
                throw new BackendException(link.where() + ": the liveness channel did not open within " + checkTimeout
                        + (why == null ? "" : ": " + why.getMessage()), why);
            }
        } catch (IOException e) {
            link.drop(s);
            throw new BackendException(link.where() + ": cannot open the liveness channel: " + e.getMessage(), e);
        }
        long t0 = System.nanoTime();
        long deadline = t0 + openTimeout.toNanos();
        try {
            awaitHello(s, c, queue, deadline);
        } catch (RuntimeException e) {
            c.close(true);
            throw e;
        }
        channel = c;
        session = s;
        lines = queue;
        reopening = false;
        opens.incrementAndGet();
        LOG.debug("{}: liveness channel open after {} ms (its login shell included)", link.where(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /**
     * Waits for the hello line (whatever a login script prints before it is skipped); every
     * checkTimeout without it, sshd must answer a keepalive within checkTimeout.
     */
    private void awaitHello(ClientSession s, ChannelExec c, LinkedBlockingQueue<String> queue, long deadline) {
        while (true) {
            long slice = Math.min(deadline, System.nanoTime() + checkTimeout.toNanos());
            String line = poll(queue, slice);
            if (line == EOF) {
                throw new BackendException(link.where() + ": the liveness channel closed before its script started"
                        + (c.getExitStatus() == null ? "" : " (exit status " + c.getExitStatus() + ")"));
            }
            if (HELLO.equals(line)) {
                return;
            }
            if (line != null) {
                continue; // printed by the login shell's scripts
            }
            if (System.nanoTime() - deadline >= 0) {
                link.drop(s);
                throw new BackendException(link.where() + ": the liveness script did not start within " + openTimeout
                        + " (is the login shell's startup file slow or waiting for input?)");
            }
            if (!keepalive(s)) {
                link.drop(s);
                throw new BackendException(link.where() + ": no answer to an SSH keepalive within " + checkTimeout
                        + " while the liveness channel opened");
            }
        }
    }

    /** Whether sshd answers a {@code keepalive@openssh.com} request (success or failure alike) within checkTimeout. */
    private boolean keepalive(ClientSession s) {
        CompletableFuture<Integer> reply = new CompletableFuture<>();
        try {
            Buffer buffer = s.createBuffer(SshConstants.SSH_MSG_GLOBAL_REQUEST);
            buffer.putString("keepalive@openssh.com");
            buffer.putBoolean(true);
            s.request(buffer, "keepalive@openssh.com", (cmd, data) -> reply.complete(cmd));
            reply.get(checkTimeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
                 | RuntimeException e) {
            LOG.debug("{}: keepalive failed: {}", link.where(), e.toString());
            return false;
        }
    }

    /** Closes the channel (if any); the session stays. */
    private void drop() {
        if (channel != null) {
            channel.close(true);
        }
        channel = null;
        lines = null;
    }

    /** How many rounds were answered (for tests and logs). */
    long rounds() {
        return rounds.get();
    }

    /** How many times the channel was opened (once per session, plus reopens after it broke). */
    long opens() {
        return opens.get();
    }

    /** The longest and the latest answered round, in nanoseconds. */
    long maxRoundNanos() {
        return maxRoundNanos.get();
    }

    long lastRoundNanos() {
        return lastRoundNanos;
    }

    @Override
    public void close() {
        closed = true;
        ChannelExec c = channel; // not under the lock: a round may be waiting for its answer
        if (c != null) {
            c.close(true);
        }
    }
}
