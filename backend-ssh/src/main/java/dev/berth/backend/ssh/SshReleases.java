// Releases on the hosts: a release's directory copied to a host, and the app's setup run there, once per release.
package dev.berth.backend.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.AppSpec;
import dev.berth.spi.Backend.BuildListener;
import dev.berth.api.BackendException;
import dev.berth.api.Source;
import dev.berth.support.BerthEnv;
import dev.berth.support.ExitCodes;
import dev.berth.support.IdLocks;
import dev.berth.support.OutputCaps;

/**
 * Prepares releases on the hosts. {@code releases/<app>/<release>/} under a host's base dir holds
 * a directory source, copied once per host (a tar stream of the local {@code tar} unpacked into a
 * temp dir and renamed into place), and is where the app's setup runs once (a marker records its
 * success). The setup's output goes to the {@link BuildListener} once it has ended.
 *
 * <p>Thread-safe: the preparations of one release on one host are serialized (a start that waited
 * looks again before copying), of different ones run in parallel.
 */
final class SshReleases {
    private static final Logger LOG = LoggerFactory.getLogger(SshReleases.class);

    private final SshOptions options;
    private final IdLocks releaseLocks = new IdLocks();
    private final AtomicInteger copies = new AtomicInteger();
    private final AtomicInteger setups = new AtomicInteger();
    private volatile BuildListener buildListener = (app, release, node, line) -> { };

    SshReleases(SshOptions options) {
        this.options = options;
    }

    void buildListener(BuildListener listener) {
        this.buildListener = Objects.requireNonNull(listener, "listener");
    }

    /** The release's dir on a host with that base dir. */
    static String dir(String baseDir, String app, String release) {
        return baseDir + "/releases/" + app + "/" + release;
    }

    /**
     * Copies the release to the host if it is not there, and runs the setup if it has not succeeded
     * there; {@code state} is what the host said of the release before: absent, present or ready.
     */
    void prepare(HostLink link, AppSpec spec, String release, String state) {
        String app = spec.name();
        boolean needCopy = "absent".equals(state);
        boolean needSetup = !spec.setup().isEmpty() && !"ready".equals(state);
        if (!needCopy && !needSetup) {
            return;
        }
        String key = link.host().id() + "/" + app + "/" + release;
        IdLocks.Held lock = releaseLocks.lock(key);
        try {
            String base = link.host().baseDir();
            if (lock.othersWaiting() || needCopy) {
                // another start may have prepared it meanwhile (here or from another backend): look again
                HostLink.Result again = link.run(Scripts.PRECHECK, List.of(base, "-", app, release,
                        spec.source() instanceof Source.None ? "1" : "0"), null, options.commandTimeout());
                again.requireOk("app '" + app + "' release '" + release + "' on " + link.where()
                        + ": the release check failed");
                for (String line : again.lines()) {
                    if (line.startsWith("R ")) {
                        state = line.substring(2).trim();
                    }
                }
                needCopy = "absent".equals(state);
                needSetup = !spec.setup().isEmpty() && !"ready".equals(state);
            }
            if (needCopy && spec.source() instanceof Source.Directory dir) {
                upload(link, app, release, dir.path());
            }
            if (needSetup) {
                runSetup(link, spec, release);
            }
        } finally {
            lock.close();
        }
    }

    /** Streams the directory as a tar (made by the local {@code tar}) into the release dir on the host. */
    private void upload(HostLink link, String app, String release, Path dir) {
        String what = "app '" + app + "' release '" + release + "' on " + link.where();
        if (!Files.isDirectory(dir)) {
            throw new BackendException(what + ": source directory " + dir + " does not exist or is not a directory");
        }
        long t0 = System.nanoTime();
        LOG.info("{}: copying {} to {}", what, dir, dir(link.host().baseDir(), app, release));
        Process tar;
        Path tarErrors;
        try {
            tarErrors = Files.createTempFile("berth-ssh-tar", ".err");
        } catch (IOException e) {
            throw new BackendException(what + ": cannot make a temp file for tar's errors: " + e.getMessage(), e);
        }
        try {
            try {
                tar = new ProcessBuilder("tar", "-c", "-f", "-", "-C", dir.toString(), ".")
                        .redirectError(tarErrors.toFile()).start();
            } catch (IOException e) {
                throw new BackendException(what + ": cannot run the local tar to copy " + dir + ": " + e.getMessage(), e);
            }
            HostLink.Result r;
            try (InputStream in = tar.getInputStream()) {
                r = link.run(Scripts.UPLOAD, List.of(link.host().baseDir(), app, release), in, options.copyTimeout());
                if (!tar.waitFor(30, TimeUnit.SECONDS)) {
                    throw new BackendException(what + ": the local tar of " + dir + " did not end");
                }
            } catch (IOException e) {
                throw new BackendException(what + ": copy failed: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendException(what + ": interrupted while copying", e);
            } finally {
                tar.destroyForcibly();
            }
            if (tar.exitValue() != 0) {
                throw new BackendException(what + ": the local tar of " + dir + " failed (exit status " + tar.exitValue()
                        + "): " + readQuietly(tarErrors));
            }
            r.requireOk(what + ": unpacking the copy failed");
            if (r.text().contains("copied")) {
                copies.incrementAndGet();
            }
        } finally {
            try {
                Files.deleteIfExists(tarErrors);
            } catch (IOException e) {
                LOG.debug("cannot delete {}: {}", tarErrors, e.toString());
            }
        }
        LOG.info("{}: copied in {} ms", what, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private static String readQuietly(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8).trim();
            return s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
        } catch (IOException e) {
            return "(its errors cannot be read: " + e + ")";
        }
    }

    private void runSetup(HostLink link, AppSpec spec, String release) {
        String app = spec.name();
        String node = link.host().id();
        String what = "setup of app '" + app + "' release '" + release + "' on " + link.where();
        Map<String, String> env = new LinkedHashMap<>();
        spec.env().forEach((k, v) -> {
            if (!AppSpec.RANDOM_PORT.equals(v)) {
                env.put(k, v);
            }
        });
        BerthEnv.putSetup(env, app, release, node);
        List<String> args = new ArrayList<>(List.of(link.host().baseDir(), app, release,
                Long.toString(Math.max(1, options.setupTimeout().toSeconds()))));
        args.addAll(spec.setup());
        LOG.info("{}: running {}", what, spec.setup());
        HostLink.Result r = link.run(Scripts.SETUP, args, ShellQuote.envFile(env), options.setupTimeout().plusSeconds(30));
        List<String> lines = r.lines();
        List<String> output = lines.size() > 1 ? lines.subList(1, lines.size()) : List.of();
        for (String line : OutputCaps.lastLines(output, 200, Scripts.BUILD_BYTES)) {
            if (!line.startsWith("# berth: ")) {
                buildListener.output(app, release, node, line); // the setup's output, once it has ended
            }
        }
        if (r.ok() && !lines.isEmpty() && lines.get(0).equals("OK")) {
            setups.incrementAndGet();
            LOG.info("{}: done", what);
            return;
        }
        String status = lines.isEmpty() ? "exit status " + r.exitCode() : lines.get(0);
        String detail = status.startsWith("FAIL ") ? describeSetup(status.substring(5).trim()) : status;
        List<String> tail = OutputCaps.lastLines(output, 20, OutputCaps.FAILURE_BYTES);
        throw new BackendException(what + " failed: " + OutputCaps.cutLine(detail)
                + (r.err().isBlank() ? "" : " (" + OutputCaps.cutLine(r.err().trim()) + ")")
                + "; last " + tail.size() + " lines of " + dir(link.host().baseDir(), app, release) + "/setup.log:\n"
                + String.join("\n", tail));
    }

    private String describeSetup(String code) {
        if ("124".equals(code) || "137".equals(code)) {
            return "timed out after " + options.setupTimeout() + " and was killed (" + code + ")";
        }
        try {
            return ExitCodes.describe(Integer.parseInt(code));
        } catch (NumberFormatException e) {
            return "exit status " + code;
        }
    }

    /** How many releases were copied to a host by this backend (for tests). */
    int copies() {
        return copies.get();
    }

    /** How many setups ran to success (for tests). */
    int setups() {
        return setups.get();
    }
}
