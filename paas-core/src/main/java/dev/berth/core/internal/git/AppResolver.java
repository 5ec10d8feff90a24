package dev.berth.core.internal.git;

import dev.berth.api.BerthException;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.NotFoundException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.regex.Pattern;
import org.eclipse.jgit.errors.RepositoryNotFoundException;
import org.eclipse.jgit.http.server.GitSmartHttpTools;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.ServiceMayNotContinueException;
import org.eclipse.jgit.transport.resolver.RepositoryResolver;
import org.eclipse.jgit.transport.resolver.ServiceNotAuthorizedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps the repository part of a URL ({@code beep} or {@code beep.git}) to the app's repository.
 * Runs only behind {@link BasicAuthFilter} and refuses requests it did not authenticate. The name
 * is checked to be an app name before any path is made of it. A repository is created here, and
 * only for a push (receive-pack) request; a fetch of an app that was never pushed is 404.
 */
final class AppResolver implements RepositoryResolver<HttpServletRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(AppResolver.class);
    /** Request attribute: the app (repository) name of the request, set once resolved. */
    static final String APP = AppResolver.class.getName() + ".app";

    /** The only raw request paths served: an app's smart-HTTP endpoints, nothing encoded. */
    private static final Pattern RAW_PATH = Pattern.compile(
            "/[a-z0-9-]{1,63}(\\.git)?/(info/refs|git-upload-pack|git-receive-pack)");

    private final GitRepositories repositories;

    AppResolver(GitRepositories repositories) {
        this.repositories = repositories;
    }

    @Override
    public Repository open(HttpServletRequest req, String name)
            throws RepositoryNotFoundException, ServiceNotAuthorizedException, ServiceMayNotContinueException {
        if (!Boolean.TRUE.equals(req.getAttribute(BasicAuthFilter.AUTHENTICATED))) {
            throw new ServiceNotAuthorizedException();
        }
        String app = name.endsWith(".git") ? name.substring(0, name.length() - 4) : name;
        try {
            GitRepositories.checkName(app);
        } catch (InvalidSpecException e) {
            throw notAnApp(req, name);
        }
        // The servlet path drops ";params" and decodes %xx: the raw URI must be the plain name too.
        String uri = req.getRequestURI();
        if (uri == null || !RAW_PATH.matcher(uri).matches() || !uri.startsWith("/" + name + "/")) {
            throw notAnApp(req, uri == null ? name
                    : uri.replaceFirst("/(info/refs|git-upload-pack|git-receive-pack)$", "").replaceFirst("^/", ""));
        }
        try {
            Repository repo = isPush(req) ? repositories.openOrCreate(app) : repositories.open(app);
            req.setAttribute(APP, app);
            return repo;
        } catch (NotFoundException e) {
            throw new RepositoryNotFoundException(app);
        } catch (BerthException e) {
            LOG.error("git server: app '{}': cannot open its repository", app, e);
            throw new ServiceMayNotContinueException("app '" + app + "': the server cannot open its repository", 500);
        }
    }

    /**
     * A refused name. To a git client asking for refs it is "200 OK" with an {@code ERR} line, the
     * smart protocol's way to have git print the message ({@code fatal: remote error: ...}); to
     * anything else it is 404.
     */
    private static ServiceMayNotContinueException notAnApp(HttpServletRequest req, String what) {
        return new ServiceMayNotContinueException("'" + LogSafe.printable(what)
                + "' is not an app's repository: the URL is http://HOST:PORT/APP (or /APP.git) where APP is a "
                + "DNS label, 1-63 of a-z, 0-9 and '-'", GitSmartHttpTools.isInfoRefs(req) ? 200 : 404);
    }

    /** Whether the request is part of a push: the ref advertisement for receive-pack, or receive-pack itself. */
    static boolean isPush(HttpServletRequest req) {
        String uri = req.getRequestURI();
        return GitSmartHttpTools.isReceivePack(req)
                || ("GET".equals(req.getMethod()) && uri != null && uri.endsWith("/info/refs")
                        && GitSmartHttpTools.RECEIVE_PACK.equals(req.getParameter("service")));
    }
}
