// A proxy's configuration file swapped whole: written beside, validated by the proxy, renamed over, reloaded, and the last good one put back on failure.
package dev.berth.support;

import dev.berth.api.BerthException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configuration file of a proxy that a router drives, and the last good text in it. A new text
 * is written beside the file ({@code <file>.next}), validated by the proxy itself (the
 * {@code validator}: {@code nginx -t}, {@code haproxy -c}; it throws with the proxy's words when it
 * refuses), renamed over the file atomically, then reloaded ({@link #swap}); when the reload fails,
 * the last good text goes back into the file, so that the file always holds what the proxy runs or
 * is about to run. A text the validator refuses never reaches the file. Every write is atomic
 * ({@link AtomicFiles}) but not fsynced (the text is made again from the platform's state after a
 * crash) and readable as the umask says. Not thread-safe: the owning
 * router's lock guards every call.
 */
public final class ConfigSwap {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigSwap.class);

    private final String proxy;
    private final Path file;
    private final Consumer<Path> validator;
    private String lastGood;

    /**
     * The swap of {@code file}; the text it holds now, if it exists, is taken as the last good one.
     * {@code proxy} ("nginx", "haproxy") names the router in messages.
     *
     * @throws IOException when {@code file} exists but cannot be read
     */
    public ConfigSwap(String proxy, Path file, Consumer<Path> validator) throws IOException {
        this.proxy = Objects.requireNonNull(proxy, "proxy");
        this.file = Objects.requireNonNull(file, "file");
        this.validator = Objects.requireNonNull(validator, "validator");
        if (Files.exists(file)) {
            lastGood = Files.readString(file);
        }
    }

    /** The configuration file. */
    public Path file() {
        return file;
    }

    /** The text the proxy last accepted (or the file held at the start); {@code null} for none. */
    public String lastGood() {
        return lastGood;
    }

    /** Records that the proxy runs {@code text} now (it was installed and loaded). */
    public void accepted(String text) {
        this.lastGood = Objects.requireNonNull(text, "text");
    }

    /**
     * Installs {@code text} and runs {@code reload}; when the reload throws, puts the last good text
     * back and rethrows; else {@code text} becomes the last good one. Returns what {@code reload}
     * returned.
     *
     * @throws BerthException from the validator, when the file cannot be written, or from {@code reload}
     */
    public <T> T swap(String text, Supplier<T> reload) {
        install(text);
        T result;
        try {
            result = reload.get();
        } catch (RuntimeException e) {
            restore();
            throw e;
        }
        accepted(text);
        return result;
    }

    /**
     * Writes {@code text} beside the file, has the validator check it, renames it over the file;
     * the last good text stays as it is. On a refusal the file is untouched.
     *
     * @throws BerthException from the validator, or when the file cannot be written
     */
    public void install(String text) {
        Path next = file.resolveSibling(file.getFileName() + ".next");
        try {
            put(next, text);
            validator.accept(next);
            AtomicFiles.move(next, file, AtomicFiles.Durability.ATOMIC_ONLY);
        } catch (IOException e) {
            throw new BerthException(proxy + " router: cannot write " + next + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(next); // the next install overwrites it anyway
            } catch (IOException ignored) {
                // a leftover file beside the configuration does no harm
            }
        }
    }

    /**
     * Writes {@code text} into the file without validating it (for a text that differs from a
     * validated one only where the proxy was changed at runtime); the last good text stays.
     *
     * @throws BerthException when the file cannot be written
     */
    public void write(String text) {
        try {
            put(file, text);
        } catch (IOException e) {
            throw new BerthException(proxy + " router: cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Puts the last good text back into the file (a no-op when there is none); logs a failure. */
    public void restore() {
        if (lastGood == null) {
            return;
        }
        try {
            put(file, lastGood);
        } catch (IOException e) {
            LOG.error("{} router: could not put the last good configuration back into {}: {}", proxy, file,
                    e.getMessage());
        }
    }

    /**
     * Has the validator check {@code text} written to {@code scratch} (a dry run: the file and the
     * proxy are untouched); deletes {@code scratch} afterwards.
     *
     * @throws IOException when {@code scratch} cannot be written
     * @throws BerthException from the validator
     */
    public void check(Path scratch, String text) throws IOException {
        try {
            put(scratch, text);
            validator.accept(scratch);
        } finally {
            Files.deleteIfExists(scratch);
        }
    }

    /**
     * Writes a configuration atomically, readable as the umask says, without fsync: it is made
     * again from the platform's state after a crash.
     */
    private static void put(Path target, String text) throws IOException {
        AtomicFiles.write(target, text.getBytes(StandardCharsets.UTF_8), AtomicFiles.Access.UMASK,
                AtomicFiles.Durability.ATOMIC_ONLY);
    }
}
