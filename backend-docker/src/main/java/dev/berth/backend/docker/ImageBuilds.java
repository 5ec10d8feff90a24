// The images instances run: an image source as is, a Dockerfile directory or tarball built once per release.
package dev.berth.backend.docker;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.dockerjava.api.exception.DockerClientException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;

import dev.berth.api.AppSpec;
import dev.berth.spi.Backend;
import dev.berth.api.BackendException;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.Source;
import dev.berth.support.IdLocks;
import dev.berth.support.OutputCaps;
import dev.berth.support.docker.ReleaseImages;

/**
 * Finds the image an app's release runs: an image source's reference as is (nothing is pulled), or
 * for a directory source the image {@link ReleaseImages#name} built from its
 * Dockerfile unless the engine has it, its output going to the build listener. Builds of one image
 * are serialized; different images build in parallel. Thread-safe.
 */
final class ImageBuilds {
    private static final Logger LOG = LoggerFactory.getLogger(ImageBuilds.class);

    private final Engine engine;
    private final IdLocks locks = new IdLocks();
    private volatile Backend.BuildListener listener = (app, release, node, line) -> { };

    ImageBuilds(Engine engine) {
        this.engine = engine;
    }

    void onBuildOutput(Backend.BuildListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** The image {@code spec}'s {@code release} runs, built first for a directory source. */
    String imageFor(AppSpec spec, String release, String what) {
        Source source = spec.source();
        if (source instanceof Source.Image img) {
            return img.image(); // a missing image is told by the create call (one round trip less)
        }
        if (source instanceof Source.Directory dir) {
            String tag = ReleaseImages.name(spec.name(), release, dir.path());
            buildIfNotExist(tag, dir.path(), line -> {
                LOG.debug("{}: build: {}", what, line);
                listener.output(spec.name(), release, engine.node, line);
            });
            return tag;
        }
        throw new BackendException(what + ": the Docker backend runs an image source or a directory with a "
                + "Dockerfile; not " + source);
    }

    /** As {@link DockerBackend#buildImageIfNotExist(String, Path, Consumer)}. */
    boolean buildIfNotExist(String image, Path context, Consumer<String> progress) {
        engine.ensureOpen();
        try {
            new Source.Image(image);
        } catch (InvalidSpecException e) {
            throw new IllegalArgumentException("image '" + image + "' is not allowed: must be an image reference "
                    + "such as 'team/web:1.2'", e);
        }
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(progress, "progress");
        Path dir = context.toAbsolutePath().normalize();
        boolean tarball = Files.isRegularFile(dir);
        if (!tarball && !Files.isRegularFile(dir.resolve("Dockerfile"), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("context '" + dir + "' is not allowed: must be a directory holding a "
                    + "Dockerfile (a file, not a symbolic link), or a tarball (.tar, .tar.gz) of one");
        }
        String what = "image '" + image + "'";
        IdLocks.Held lock = locks.lock("image:" + image);
        try {
            if (imageExists(image, what)) {
                LOG.debug("{} exists: not built", what);
                return false;
            }
            LOG.info("building {} from {}", what, dir);
            BuildLog callback = new BuildLog(progress);
            try (InputStream tar = tarball ? Files.newInputStream(dir) : null) {
                (tarball ? engine.docker.buildImageCmd(tar) : engine.docker.buildImageCmd(dir.toFile()))
                        .withTags(Set.of(image))
                        .withPull(false)
                        .withRemove(true)
                        .withForcerm(true)
                        .exec(callback)
                        .awaitImageId();
            } catch (DockerClientException | DockerException e) {
                callback.finish();
                String err = callback.error() != null ? callback.error()
                        : OutputCaps.cutText(String.valueOf(e.getMessage()), BuildLog.ERROR_BYTES);
                throw new BackendException("building " + what + " from " + dir + " failed: " + err
                        + "\nlast lines of the build:\n" + callback.tail(), e);
            } catch (IOException e) {
                throw new BackendException("building " + what + ": cannot read the context " + dir + ": " + e, e);
            } catch (RuntimeException e) {
                throw engine.failure("build " + what + " from " + dir, e);
            }
            callback.finish();
            LOG.info("built {}", what);
            return true;
        } finally {
            lock.close();
        }
    }

    private boolean imageExists(String image, String what) {
        try {
            engine.docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        } catch (RuntimeException e) {
            throw engine.failure(what + ": inspect image '" + image + "'", e);
        }
    }
}
