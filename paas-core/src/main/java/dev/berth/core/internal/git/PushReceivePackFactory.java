package dev.berth.core.internal.git;

import dev.berth.api.BerthException;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.resolver.ReceivePackFactory;
import org.eclipse.jgit.transport.resolver.ServiceNotAuthorizedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enables push for requests that {@link BasicAuthFilter} authenticated (JGit's default factory
 * would look at {@code getRemoteUser()} or the repository's {@code http.receivepack}; this one
 * looks at the filter's mark only) and reports each branch a push updates to the {@link PushListener}.
 *
 * <p>Policy: branches and tags may be created and moved, also by force (like Heroku: a forced push
 * deploys what was pushed; the repository keeps a reflog); deleting a ref is refused. Received
 * objects are checked (JGit's fsck: no {@code ..}, {@code .git} or duplicate tree entries), and a
 * pack may be at most {@code maxPackBytes}.
 *
 * <p>The listener runs in JGit's <em>pre-receive</em> hook, as Dokku deploys in git's pre-receive:
 * the objects are stored and checked, the branch has not moved yet. The listener's lines go to the
 * pusher at once (sideband, flushed: JGit's smart-HTTP response streams once flushed), and a
 * {@link PushListener.Verdict} that refuses leaves the branch where it was
 * ({@code REJECTED_OTHER_REASON}): a release that was rolled back does not become the branch's head,
 * so the branch keeps naming what runs and pushing the same commit again retries it.
 */
final class PushReceivePackFactory implements ReceivePackFactory<HttpServletRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(PushReceivePackFactory.class);
    /** The most characters of one {@code remote:} line. */
    static final int LINE_CHARS = 400;
    /** The most {@code remote:} lines one push gets from the listener. */
    static final int MAX_LINES = 1000;
    /** The most characters of a refusal's reason in git's {@code [remote rejected]} status. */
    static final int REASON_CHARS = 300;

    private final PushListener listener;
    private final long maxPackBytes;
    private final int timeoutSeconds;

    PushReceivePackFactory(PushListener listener, long maxPackBytes, int timeoutSeconds) {
        this.listener = listener;
        this.maxPackBytes = maxPackBytes;
        this.timeoutSeconds = timeoutSeconds;
    }

    @Override
    public ReceivePack create(HttpServletRequest req, Repository db) throws ServiceNotAuthorizedException {
        Object app = req.getAttribute(AppResolver.APP);
        if (!Boolean.TRUE.equals(req.getAttribute(BasicAuthFilter.AUTHENTICATED)) || !(app instanceof String)) {
            throw new ServiceNotAuthorizedException();
        }
        String user = req.getRemoteUser() == null ? BasicAuthFilter.DEFAULT_USER : req.getRemoteUser();
        ReceivePack rp = new ReceivePack(db);
        rp.setRefLogIdent(new PersonIdent(LogSafe.printable(user), "git@" + req.getRemoteAddr()));
        rp.setAllowCreates(true);
        rp.setAllowNonFastForwards(true);
        rp.setAllowDeletes(false);
        rp.setCheckReceivedObjects(true);
        rp.setMaxPackSizeLimit(maxPackBytes);
        rp.setTimeout(timeoutSeconds);
        String from = req.getRemoteAddr();
        rp.setPreReceiveHook((pack, commands) -> beforeUpdate((String) app, from, pack, commands));
        rp.setPostReceiveHook((pack, commands) -> afterUpdate((String) app, pack, commands));
        return rp;
    }

    private void beforeUpdate(String app, String from, ReceivePack rp, Collection<ReceiveCommand> commands) {
        Remote remote = new Remote(rp);
        for (ReceiveCommand c : commands) {
            if (c.getResult() != ReceiveCommand.Result.NOT_ATTEMPTED || c.getType() == ReceiveCommand.Type.DELETE
                    || !c.getRefName().startsWith(Constants.R_HEADS)) {
                continue;
            }
            String branch = c.getRefName().substring(Constants.R_HEADS.length());
            String commit = c.getNewId().name();
            LOG.info("app '{}': push from {} moves branch '{}' to {} ({})", app, from, branch, commit, c.getType());
            try {
                PushListener.Verdict v = listener.pushed(app, branch, commit, remote);
                if (!v.accepted()) {
                    String why = LogSafe.printable(v.reason(), REASON_CHARS);
                    LOG.warn("app '{}': push of branch '{}' at {} refused, the branch stays: {}", app, branch, commit, why);
                    c.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, why);
                }
            } catch (BerthException e) {
                // The platform refused it for a reason it states (e.g. no app follows the repository): one line.
                String why = LogSafe.printable(String.valueOf(e.getMessage()), 1000);
                LOG.warn("app '{}': push of branch '{}' at {} was stored but not deployed: {}", app, branch, commit, why);
                remote.send(refused(branch, why));
            } catch (RuntimeException e) {
                LOG.error("app '{}': the push listener failed for branch '{}' at {}", app, branch, commit, e);
                remote.send(refused(branch, LogSafe.printable(String.valueOf(e.getMessage()), 1000)));
            }
        }
    }

    private void afterUpdate(String app, ReceivePack rp, Collection<ReceiveCommand> commands) {
        List<ReceiveCommand> branches = new ArrayList<>();
        for (ReceiveCommand c : commands) {
            if (c.getResult() == ReceiveCommand.Result.OK && c.getType() != ReceiveCommand.Type.DELETE
                    && c.getRefName().startsWith(Constants.R_HEADS)) {
                branches.add(c);
            }
        }
        if (!branches.isEmpty()) {
            pointUnbornHead(app, rp.getRepository(), branches);
        }
    }

    /**
     * The pusher's {@code remote:} lines for one push: each line made printable, cut to
     * {@link #LINE_CHARS} and flushed at once; at most {@link #MAX_LINES}. Thread-safe (a listener
     * may send from the thread that watches its deploy).
     */
    private static final class Remote implements Consumer<String> {
        private final ReceivePack rp;
        private int sent;

        Remote(ReceivePack rp) {
            this.rp = rp;
        }

        @Override
        public synchronized void accept(String line) {
            if (sent > MAX_LINES) {
                return;
            }
            send(++sent > MAX_LINES ? "berth: (no more lines for this push)" : LogSafe.printable(String.valueOf(line), LINE_CHARS));
        }

        synchronized void send(String line) {
            rp.sendMessage(line);
            try {
                rp.getMessageOutputStream().flush(); // JGit's smart-HTTP response streams from the first flush
            } catch (IOException e) {
                LOG.debug("a pusher went away: {}", e.toString()); // its deploy goes on; nothing to tell
            }
        }
    }

    private static String refused(String branch, String why) {
        return "berth: branch '" + branch + "' was pushed, but the platform failed to take it: " + why;
    }

    /**
     * A new repository's HEAD names {@code main}; if a first push brought only {@code master} (or
     * another branch), point HEAD there so that a clone checks something out.
     */
    private static void pointUnbornHead(String app, Repository db, List<ReceiveCommand> pushed) {
        try {
            Ref head = db.exactRef(Constants.HEAD);
            if (head != null && head.getObjectId() != null) {
                return;
            }
            String target = pushed.get(0).getRefName();
            for (String preferred : List.of(Constants.R_HEADS + "main", Constants.R_HEADS + "master")) {
                if (pushed.stream().anyMatch(c -> c.getRefName().equals(preferred))) {
                    target = preferred;
                    break;
                }
            }
            RefUpdate.Result r = db.updateRef(Constants.HEAD).link(target);
            LOG.debug("app '{}': HEAD now names {} ({})", app, target, r);
        } catch (IOException e) {
            LOG.warn("app '{}': cannot point HEAD at a pushed branch", app, e);
        }
    }
}
