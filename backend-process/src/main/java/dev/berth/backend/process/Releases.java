package dev.berth.backend.process;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.Backend;
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
    private static final Logger LOG = LoggerFactory.getLogger(Releases.class);

    private final Duration setupTimeout;
    private final Map<Path, ReentrantLock> locks = new ConcurrentHashMap<>();

    private volatile Backend.BuildListener buildListener = (app, release, node, line) -> { };

    Releases(Duration setupTimeout) {
        this.setupTimeout = setupTimeout;
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

    /** Copies into a temp dir beside the release, then renames it into place, so a release dir is always complete. */
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
                    Files.copy(dir, target, StandardCopyOption.COPY_ATTRIBUTES);
                } catch (FileAlreadyExistsException e) {
                    // the root
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, tmp.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES,
                        LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }
        });
        Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
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
        Files.writeString(log, "# berth: setup of app '" + app + "' release '" + release + "' at " + Instant.now()
                + ": " + setup + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
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
            report(log, app, release, node);
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

    /** Hands the setup's output to the build listener, once the setup has ended (it writes to a file, not a pipe). */
    private void report(Path log, String app, String release, String node) {
        Backend.BuildListener l = buildListener;
        try {
            for (String line : Files.readAllLines(log, java.nio.charset.StandardCharsets.UTF_8)) {
                if (!line.startsWith("# berth: ")) {
                    l.output(app, release, node, line);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("app '{}' release '{}': setup output not reported: {}", app, release, e.toString());
        }
    }

    private static String lastLines(Path log) {
        try {
            List<String> lines = LogFiles.tailOf(log, ERROR_LINES);
            return "; last " + lines.size() + " lines of " + log + ":\n" + String.join("\n", lines);
        } catch (IOException e) {
            return "; its output " + log + " cannot be read: " + e;
        }
    }
}
