// The images tasks run: an image source as is; a directory's Dockerfile built once on the manager and loaded into each node.
package dev.berth.backend.swarm;

import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.exception.DockerClientException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.BuildResponseItem;
import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.api.Source;
import dev.berth.spi.Backend;
import dev.berth.support.IdLocks;
import dev.berth.support.OutputCaps;
import dev.berth.support.docker.ReleaseImages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the image a task runs, without a registry. An image source is used as is (Swarm's agent
 * pulls it, or uses the node's copy). A directory source (a {@code git push}'s checked-out release
 * is one) is built from its Dockerfile on the manager's engine into
 * {@code berth/APP:RELEASE-HASH}, once per release, and then made present on the node the task
 * goes to: if that node's engine lacks it, the manager's {@code docker save} streams straight into
 * the node's {@code docker load}, once per image and node. Tasks name such an image by its id
 * ({@code sha256:...}, the same on every node after a load), so that Swarm's agents do not try to
 * pull it from a registry first. The builds of one image, and its loads
 * into one node, are serialized; loads into different nodes run in parallel. Thread-safe.
 */
final class SwarmImages {
    private static final Logger LOG = LoggerFactory.getLogger(SwarmImages.class);
    /** Lines of a failed build quoted in its error. */
    static final int TAIL_LINES = 20;

    private final SwarmApi manager;
    private final Map<String, SwarmApi> engines;
    private final IdLocks locks = new IdLocks();
    private final Set<String> present = ConcurrentHashMap.newKeySet();
    /** The id of each image built here, by name. */
    private final Map<String, String> ids = new ConcurrentHashMap<>();
    private final AtomicInteger loads = new AtomicInteger();
    private volatile Backend.BuildListener listener = (app, release, node, line) -> { };
    private volatile String managerNode;

    /**
     * @param manager the swarm manager's engine, where images are built
     * @param engines each platform node's own engine, by platform node id, where images are loaded
     */
    SwarmImages(SwarmApi manager, Map<String, SwarmApi> engines) {
        this.manager = manager;
        this.engines = Map.copyOf(engines);
    }

    void onBuildOutput(Backend.BuildListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** How many {@code docker save | docker load} copies were made. */
    int loads() {
        return loads.get();
    }

    /**
     * The image {@code app}'s {@code release} runs on platform node {@code node} (Swarm id
     * {@code swarmNode}): an image source's name, or the id of the image built from a directory
     * source, built and loaded there first.
     */
    String imageFor(AppSpec app, String release, String node, String swarmNode) {
        if (app.source() instanceof Source.Image img) {
            return img.image();
        }
        if (!(app.source() instanceof Source.Directory dir)) {
            throw new BackendException("app '" + app.name() + "': the swarm backend runs source.image, or a directory or git "
                    + "push holding a Dockerfile; not " + app.source());
        }
        Path context = dir.path().toAbsolutePath().normalize();
        if (!Files.isRegularFile(context.resolve("Dockerfile"), LinkOption.NOFOLLOW_LINKS)) { // a link could read any host file
            throw new BackendException("app '" + app.name() + "': " + context + " has no Dockerfile (a file, not a symbolic "
                    + "link); the swarm backend builds an image from it (or give the app source.image)");
        }
        String image = ReleaseImages.name(app.name(), release, context);
        String id;
        try (IdLocks.Held lock = locks.lock(image)) {
            id = ids.get(image);
            if (id == null) {
                build(app.name(), release, node, image, context);
                id = imageId(manager, image);
                ids.put(image, id);
            }
        }
        if (!swarmNode.equals(managerNode())) {
            try (IdLocks.Held lock = locks.lock(image + "@" + node)) { // loads into different nodes run in parallel
                if (!present.contains(image + "@" + node)) {
                    load(image, node);
                    present.add(image + "@" + node);
                }
            }
        }
        // By id, not by name: a node's agent then runs its loaded copy at once, where for a name it would
        // first try to pull it from a registry (Docker Hub for berth/...), waiting out a DNS time-out offline.
        return id;
    }

    /**
     * As {@link #imageFor}, made present on every node of {@code nodes} first (when Swarm places a
     * task, it may put or move it on any of them); an image source needs nothing.
     */
    String imageForEveryNode(AppSpec app, String release, List<SwarmApi.NodeView> nodes) {
        if (app.source() instanceof Source.Image img) {
            return img.image();
        }
        String image = null;
        for (SwarmApi.NodeView n : nodes) {
            image = imageFor(app, release, SwarmWatch.berthId(n), n.id());
        }
        if (image == null) {
            throw new BackendException("app '" + app.name() + "': the swarm lists no node to run it on");
        }
        return image;
    }

    private void build(String app, String release, String node, String image, Path context) {
        if (exists(manager, image)) {
            LOG.debug("swarm: image {} is on the manager: not built", image);
            return;
        }
        LOG.info("swarm: building image {} from {} on the manager {}", image, context, manager.manager);
        BuildLines lines = new BuildLines(line -> listener.output(app, release, node, line));
        try {
            manager.docker.buildImageCmd(context.toFile()).withTags(Set.of(image)).withPull(false).withRemove(true)
                    .withForcerm(true).exec(lines).awaitImageId();
        } catch (DockerClientException | DockerException e) {
            throw new BackendException("app '" + app + "': building image " + image + " from " + context + " failed: "
                    + OutputCaps.cutText(String.valueOf(e.getMessage()), 4096) + "\nlast lines of the build:\n" + lines.tail(), e);
        }
        LOG.info("swarm: built image {}", image);
    }

    /** {@code docker save} on the manager, streamed into {@code docker load} on the node's engine. */
    private void load(String image, String node) {
        SwarmApi engine = engines.get(node);
        if (engine == null) {
            throw new BackendException("image " + image + " is built on the manager; node " + node + " needs it loaded through "
                    + "its own Engine API: give it with SwarmBackend.builder().engine(\"" + node + "\", URL)");
        }
        if (exists(engine, image)) {
            return;
        }
        long t0 = System.nanoTime();
        try (InputStream saved = manager.docker.saveImageCmd(image).exec()) {
            engine.docker.loadImageCmd(saved).exec();
        } catch (IOException | DockerException | DockerClientException e) {
            throw new BackendException("image " + image + ": docker save on the manager into docker load on node " + node
                    + " (" + engine.manager + ") failed: " + e.getMessage(), e);
        }
        if (!exists(engine, image)) {
            throw new BackendException("image " + image + ": node " + node + " (" + engine.manager + ") does not have it after "
                    + "docker load");
        }
        loads.incrementAndGet();
        LOG.info("swarm: image {} loaded into node {} in {} ms", image, node, (System.nanoTime() - t0) / 1_000_000);
    }

    private String managerNode() {
        String id = managerNode;
        if (id == null) {
            try {
                id = manager.docker.infoCmd().exec().getSwarm().getNodeID();
            } catch (DockerException e) {
                throw new BackendException("swarm manager " + manager.manager + ": info failed: " + e.getMessage(), e);
            }
            managerNode = id;
        }
        return id;
    }

    private static String imageId(SwarmApi engine, String image) {
        try {
            return engine.docker.inspectImageCmd(image).exec().getId();
        } catch (DockerException e) {
            throw new BackendException("engine " + engine.manager + ": inspect image " + image + " failed: " + e.getMessage(), e);
        }
    }

    private static boolean exists(SwarmApi engine, String image) {
        try {
            engine.docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        } catch (DockerException e) {
            throw new BackendException("engine " + engine.manager + ": inspect image " + image + " failed: " + e.getMessage(), e);
        }
    }

    /** A build's output: each non-blank line to the listener, the last {@value #TAIL_LINES} kept for an error. */
    private static final class BuildLines extends BuildImageResultCallback {
        private final java.util.function.Consumer<String> out;
        private final Deque<String> last = new ArrayDeque<>();

        BuildLines(java.util.function.Consumer<String> out) {
            this.out = out;
        }

        @Override
        public void onNext(BuildResponseItem item) {
            String text = item.getStream() != null ? item.getStream()
                    : item.getErrorDetail() != null ? item.getErrorDetail().getMessage() : null;
            if (text != null) {
                text.lines().filter(l -> !l.isBlank()).map(l -> OutputCaps.cutText(l, 4096)).forEach(this::line);
            }
            super.onNext(item);
        }

        private synchronized void line(String line) {
            last.addLast(line);
            if (last.size() > TAIL_LINES) {
                last.removeFirst();
            }
            try {
                out.accept(line);
            } catch (RuntimeException e) {
                LOG.debug("build output listener failed: {}", e.toString());
            }
        }

        synchronized String tail() {
            return String.join("\n", last);
        }
    }
}
