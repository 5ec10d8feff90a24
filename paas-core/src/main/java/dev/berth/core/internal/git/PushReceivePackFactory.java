package dev.berth.core.internal.git;

import dev.berth.api.BerthException;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
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
 * looks at the filter's mark only) and reports each updated branch to the {@link PushListener}.
 *
 * <p>Policy: branches and tags may be created and moved, also by force (like Heroku: a forced push
 * deploys what was pushed; the repository keeps a reflog); deleting a ref is refused. Received
 * objects are checked (JGit's fsck: no {@code ..}, {@code .git} or duplicate tree entries), and a
 * pack may be at most {@code maxPackBytes}.
 */
final class PushReceivePackFactory implements ReceivePackFactory<HttpServletRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(PushReceivePackFactory.class);

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
        rp.setPostReceiveHook((pack, commands) -> afterPush((String) app, from, pack, commands));
        return rp;
    }

    private void afterPush(String app, String from, ReceivePack rp, Collection<ReceiveCommand> commands) {
        List<ReceiveCommand> branches = new ArrayList<>();
        for (ReceiveCommand c : commands) {
            if (c.getResult() == ReceiveCommand.Result.OK && c.getType() != ReceiveCommand.Type.DELETE
                    && c.getRefName().startsWith(Constants.R_HEADS)) {
                branches.add(c);
            }
        }
        if (branches.isEmpty()) {
            return;
        }
        pointUnbornHead(app, rp.getRepository(), branches);
        for (ReceiveCommand c : branches) {
            String branch = c.getRefName().substring(Constants.R_HEADS.length());
            String commit = c.getNewId().name();
            LOG.info("app '{}': push from {} moved branch '{}' to {} ({})", app, from, branch, commit, c.getType());
            try {
                listener.pushed(app, branch, commit);
            } catch (BerthException e) {
                // The platform refused it for a reason it states (e.g. no app follows the repository): one line.
                String why = LogSafe.printable(String.valueOf(e.getMessage()), 1000);
                LOG.warn("app '{}': push of branch '{}' at {} was stored but not deployed: {}", app, branch, commit, why);
                rp.sendMessage(refused(branch, why));
            } catch (RuntimeException e) {
                LOG.error("app '{}': the push listener failed for branch '{}' at {}", app, branch, commit, e);
                rp.sendMessage(refused(branch, LogSafe.printable(String.valueOf(e.getMessage()), 1000)));
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
