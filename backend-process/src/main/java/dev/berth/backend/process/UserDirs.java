// An instance's working directory, made safely for an app without code that runs as another user.
package dev.berth.backend.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;

/**
 * An instance's working directory ({@link #workDir}): its release, or {@code <instance>/work} for
 * an app without code, with the app's {@code workingDir} below. For an app without code that runs
 * as another user it is made so that no path operation of the platform (root) follows a symlink in
 * a directory the app can write: the platform creates and hands over only {@code <instance>/work}
 * (its parent is the platform's, so the app cannot replace it), without following links;
 * everything below is created by {@code mkdir -p} run AS the user; then the real path must still
 * lie inside {@code work}. Stateless.
 */
final class UserDirs {
    static final String WORK = "work";
    private static final long MKDIR_SECONDS = 10;

    private UserDirs() {
    }

    /**
     * Where an app without code runs: {@code <instance>/work}, never the instance directory itself,
     * which holds Berth's files ({@code instance.properties} with the resolved env, the output log):
     * an app serving its working directory (say {@code python3 -m http.server}) must not serve them.
     * A {@code work} that is not a plain directory (a link) is refused.
     */
    static Path noCodeHome(Path instanceDir, String what) {
        Path work = instanceDir.resolve(WORK);
        try {
            Files.createDirectory(work);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(work, LinkOption.NOFOLLOW_LINKS)) {
                throw new BackendException(what + ": " + work + " is not a directory (a link or a file): refusing to use it");
            }
        } catch (IOException e) {
            throw new BackendException(what + ": cannot create " + work + ": " + e, e);
        }
        return work;
    }

    /**
     * The instance's working directory: {@code work/} of its instance directory (no code) or its release, and
     * {@code workingDir} below. Another user without code gets {@code work/} of its own, made by
     * {@link #prepare} so that the platform follows no link the app placed.
     */
    static Path workDir(AppSpec spec, Path home, Path instanceDir, String release, Optional<RunAs> runAs, String what) {
        boolean noCode = home.equals(instanceDir.resolve(WORK));
        if (runAs.isPresent() && noCode) {
            return prepare(instanceDir, spec.workingDir(), runAs.get(), what);
        }
        if (spec.workingDir().isEmpty()) {
            return home;
        }
        // AppSpec allows only a relative path without '..' here: it stays inside.
        Path dir = home.resolve(spec.workingDir()).normalize();
        if (noCode) {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new BackendException(what + ": cannot create " + dir + ": " + e, e);
            }
        } else if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new BackendException(what + ": workingDir '" + spec.workingDir() + "' is not a directory of release '"
                    + release + "' (" + dir + ")");
        }
        return dir;
    }

    /** Creates (or checks) {@code <instanceDir>/work[/<workingDir>]} for {@code runAs}; returns it. */
    static Path prepare(Path instanceDir, String workingDir, RunAs runAs, String what) {
        Path work = instanceDir.resolve(WORK);
        try {
            try {
                Files.createDirectory(work);
            } catch (FileAlreadyExistsException e) {
                PosixFileAttributes a = Files.readAttributes(work, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!a.isDirectory()) {
                    throw new BackendException(what + ": " + work + " is not a directory (" + (a.isSymbolicLink()
                            ? "a symlink" : "a file") + "): refusing to use it");
                }
            }
            Files.setAttribute(work, "unix:uid", (int) runAs.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(work, "unix:gid", (int) runAs.gid(), LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | RuntimeException e) {
            if (e instanceof BackendException b) {
                throw b;
            }
            throw new BackendException(what + ": cannot give " + work + " to user " + runAs + ": " + e, e);
        }
        if (workingDir.isEmpty()) {
            return work;
        }
        // AppSpec allows only a relative path without '..' here.
        Path dir = work.resolve(workingDir).normalize();
        mkdirAsUser(dir, runAs, workingDir, what);
        try {
            Path real = dir.toRealPath();
            Path realWork = work.toRealPath(LinkOption.NOFOLLOW_LINKS);
            if (!real.startsWith(realWork)) {
                throw new BackendException(what + ": workingDir '" + workingDir + "' resolves to " + real
                        + ", outside the instance's work directory " + work + " (a symlink the app placed?): "
                        + "nothing was started");
            }
        } catch (IOException e) {
            throw new BackendException(what + ": workingDir '" + workingDir + "' cannot be resolved: " + e, e);
        }
        return dir;
    }

    /** Runs {@code setpriv ... mkdir -p -- dir}, bounded in time; a failure names the dir and what mkdir said. */
    private static void mkdirAsUser(Path dir, RunAs runAs, String workingDir, String what) {
        List<String> argv = new ArrayList<>(runAs.prefix());
        argv.addAll(List.of("/bin/mkdir", "-p", "--", dir.toString()));
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
                    new java.io.File("/dev/null"))).start();
            byte[] out = p.getInputStream().readNBytes(4096);
            if (!p.waitFor(MKDIR_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new BackendException(what + ": creating workingDir '" + workingDir + "' as user " + runAs
                        + " took more than " + MKDIR_SECONDS + " s");
            }
            if (p.exitValue() != 0) {
                throw new BackendException(what + ": cannot create workingDir '" + workingDir + "' as user " + runAs
                        + ": " + new String(out, StandardCharsets.UTF_8).trim());
            }
        } catch (IOException e) {
            throw new BackendException(what + ": cannot run mkdir as user " + runAs + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(what + ": interrupted while creating workingDir '" + workingDir + "'", e);
        }
    }
}
