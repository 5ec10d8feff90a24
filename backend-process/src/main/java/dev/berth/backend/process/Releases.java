// Release directories: a directory source copied once and the app's setup run once per release.
package dev.berth.backend.process;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.spi.Backend;
import dev.berth.api.BackendException;
import dev.berth.api.Source;

/**
 * Prepares release directories {@code <base>/<node>/<app>/releases/<release>}: copies a
 * directory source into it once, and runs the app's setup there once, recording success with a
 * marker file. Starts of the same release wait for one preparation (an in-JVM lock per release).
 * Thread-safe.
 */
final class Releases {
    static final String SETUP_LOG = "setup.log";
    static final String SETUP_DONE = ".berth-setup-done";
    private static final int ERROR_LINES = 20;
    /** Most bytes of one setup run's output handed to the build listener. */
    static final int REPORT_CAP = 1 << 20;
    private static final Logger LOG = LoggerFactory.getLogger(Releases.class);

    private final Duration setupTimeout;
    private final long logMaxBytes;
    private final Map<Path, ReentrantLock> locks = new ConcurrentHashMap<>();

    private volatile Backend.BuildListener buildListener = (app, release, node, line) -> { };

    Releases(Duration setupTimeout, long logMaxBytes) {
        this.setupTimeout = setupTimeout;
        this.logMaxBytes = logMaxBytes;
    }

    void onBuildOutput(Backend.BuildListener listener) {
        this.buildListener = java.util.Objects.requireNonNull(listener, "listener");
    }

    /**
     * Returns the ready release directory, copying the source and running setup if that has not
     * been done. {@code env} is the setup's environment.
     */
    Path prepare(Path releaseDir, String app, String release, String node, Source source, List<String> setup,
                 Map<String, String> env) {
        ReentrantLock lock = locks.computeIfAbsent(releaseDir, k -> new ReentrantLock());
        lock.lock();
        try {
            if (!Files.isDirectory(releaseDir)) {
                if (source instanceof Source.Directory dir) {
                    copyRelease(dir.path(), releaseDir, app, release);
                } else {
                    Files.createDirectories(releaseDir);
                }
            }
            if (!setup.isEmpty() && !Files.exists(releaseDir.resolve(SETUP_DONE))) {
                runSetup(releaseDir, app, release, node, setup, env);
            }
            return releaseDir;
        } catch (IOException e) {
            throw new BackendException("cannot prepare release '" + release + "' of app '" + app + "' in " + releaseDir
                    + ": " + e, e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Copies into a temp dir beside the release, then renames it into place, so a release dir is
     * always complete. The copy belongs to the platform's user whoever owns the source (permission
     * bits and times are kept, group and world write dropped): an app running as another user can
     * read its release but not plant links or files there that the platform (its setup, its
     * setup.log) would then follow.
     */
    private static void copyRelease(Path from, Path to, String app, String release) throws IOException {
        if (!Files.isDirectory(from)) {
            throw new BackendException("app '" + app + "' release '" + release + "': source directory " + from
                    + " does not exist or is not a directory");
        }
        Path tmp = to.resolveSibling("." + to.getFileName() + ".partial");
        deleteTree(tmp);
        Files.createDirectories(tmp.getParent());
        LOG.info("app '{}' release '{}': copying {} to {}", app, release, from, to);
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path target = tmp.resolve(from.relativize(dir).toString());
                try {
                    Files.createDirectory(target);
                } catch (FileAlreadyExistsException e) {
                    // the root
                }
                keepModeAndTime(dir, target);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path target = tmp.resolve(from.relativize(file).toString());
                Files.copy(file, target, LinkOption.NOFOLLOW_LINKS);
                if (!attrs.isSymbolicLink()) {
                    keepModeAndTime(file, target);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void keepModeAndTime(Path source, Path target) throws IOException {
        Set<PosixFilePermission> mode = EnumSet.noneOf(PosixFilePermission.class);
        mode.addAll(Files.getPosixFilePermissions(source, LinkOption.NOFOLLOW_LINKS));
        mode.remove(PosixFilePermission.GROUP_WRITE);
        mode.remove(PosixFilePermission.OTHERS_WRITE);
        mode.add(PosixFilePermission.OWNER_READ);
        mode.add(PosixFilePermission.OWNER_WRITE);
        Files.getFileAttributeView(target, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(mode);
        Files.setLastModifiedTime(target, Files.getLastModifiedTime(source, LinkOption.NOFOLLOW_LINKS));
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    private void runSetup(Path releaseDir, String app, String release, String node, List<String> setup,
                          Map<String, String> env) throws IOException {
        Path log = releaseDir.resolve(SETUP_LOG);
        rotateSetupLog(log);
        Files.writeString(log, "# berth: setup of app '" + app + "' release '" + release + "' at " + Instant.now()
                + ": " + setup + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS);
        long reportFrom = Files.size(log);
        LOG.info("app '{}' release '{}' on node '{}': running setup {}", app, release, node, setup);
        List<String> argv = Launch.inNewSession(setup);
        Launch.ExactLauncher launcher = new Launch.ExactLauncher(argv, log);
        Launch.Executor executor = new Launch.Executor(launcher, releaseDir, "berth-process-setup-" + app + "-" + release);
        executor.setStreamHandler(new Launch.NoStreams());
        Launch.TreeWatchdog watchdog = new Launch.TreeWatchdog(setupTimeout.toMillis());
        executor.setWatchdog(watchdog);
        int code;
        try {
            code = executor.execute(Launch.commandLine(argv), env);
        } catch (IOException e) {
            throw new BackendException("setup of app '" + app + "' release '" + release + "' could not run "
                    + setup + ": " + e.getMessage() + lastLines(log), e);
        } finally {
            report(log, reportFrom, app, release, node);
        }
        if (watchdog.timedOut()) {
            throw new BackendException("setup of app '" + app + "' release '" + release + "' timed out after "
                    + setupTimeout + " and was killed" + lastLines(log));
        }
        if (code != 0) {
            throw new BackendException("setup of app '" + app + "' release '" + release + "' failed: "
                    + Procs.describe(code) + lastLines(log));
        }
        InstanceFile.writeAtomically(releaseDir.resolve(SETUP_DONE), (Instant.now() + "\n").getBytes(
                java.nio.charset.StandardCharsets.UTF_8));
        LOG.info("app '{}' release '{}' on node '{}': setup done", app, release, node);
    }

    /** A setup.log above the log cap becomes setup.log.1 before the next run, so retries do not pile up. */
    private void rotateSetupLog(Path log) throws IOException {
        if (Files.exists(log, LinkOption.NOFOLLOW_LINKS) && Files.size(log) > logMaxBytes) {
            Files.move(log, log.resolveSibling(SETUP_LOG + ".1"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Hands this run's setup output (from {@code from}) to the build listener once the setup has
     * ended (it writes to a file, not a pipe): each line cut at {@link LogFiles#LINE_CAP}, and when
     * the run printed more than {@link #REPORT_CAP} bytes, its first and last half of that with one
     * line between saying how much was left out (the end is where errors are).
     */
    private void report(Path log, long from, String app, String release, String node) {
        Backend.BuildListener l = buildListener;
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = ch.size();
            boolean whole = size - from <= REPORT_CAP;
            long headEnd = whole ? size : from + REPORT_CAP / 2;
            ByteBuffer buf = ByteBuffer.allocate((int) Math.max(0, headEnd - from));
            while (buf.hasRemaining() && ch.read(buf, from + buf.position()) > 0) {
                // read on
            }
            String text = new String(buf.array(), 0, buf.position(), java.nio.charset.StandardCharsets.UTF_8);
            emit(l, app, release, node, text.endsWith("\n") ? text.substring(0, text.length() - 1) : text);
            if (!whole) {
                long tail = REPORT_CAP / 2;
                l.output(app, release, node, "[berth: " + (size - headEnd - tail) + " bytes of setup output not "
                        + "reported here; see " + log + "]");
                for (String line : LogFiles.tailOf(log, Integer.MAX_VALUE, tail)) {
                    l.output(app, release, node, line);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("app '{}' release '{}': setup output not reported: {}", app, release, e.toString());
        }
    }

    private static void emit(Backend.BuildListener l, String app, String release, String node, String text) {
        if (text.isEmpty()) {
            return;
        }
        for (String line : text.split("\n", -1)) {
            if (!line.startsWith("# berth: ")) {
                l.output(app, release, node, LogFiles.capLine(line));
            }
        }
    }

    private static String lastLines(Path log) {
        try {
            List<String> lines = LogFiles.tailOf(log, ERROR_LINES, LogFiles.ERROR_TAIL_CAP);
            return "; last " + lines.size() + " lines of " + log + ":\n" + String.join("\n", lines);
        } catch (IOException e) {
            return "; its output " + log + " cannot be read: " + e;
        }
    }
}
