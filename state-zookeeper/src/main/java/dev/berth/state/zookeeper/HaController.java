// One of several controllers of a platform: runs the platform (loop, backend, router) only while it leads, on the state in ZooKeeper.
package dev.berth.state.zookeeper;

import dev.berth.core.Platform;
import dev.berth.spi.StateStore;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a {@link Platform} on a {@link ZooKeeperStateStore} when this controller is elected, and
 * closes it (its instances keep running) when it is deposed: only the leader runs the control
 * loop, starts and stops instances and updates the router. A new leader's platform loads the
 * state the last one wrote and adopts the running instances (the same processes or containers,
 * nothing restarted), then carries on with rollouts in progress. Changes of lead are handled one
 * at a time on a thread of their own. Thread-safe.
 *
 * <pre>{@code
 * HaController c = HaController.builder().client(zk).root("/berth/prod").id("http://10.0.0.5:4000")
 *         .platform(store -> Platform.builder().stateStore(store).backend(...).router(...).build())
 *         .build();
 * c.start();
 * }</pre>
 */
public final class HaController implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HaController.class);
    private final CuratorFramework client;
    private final String root;
    private final Leadership leadership;
    private final Function<StateStore, Platform> factory;
    private final Consumer<Platform> onLead;
    private final Consumer<Platform> onStepDown;
    private final ExecutorService changes = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "berth-ha-controller");
        t.setDaemon(true);
        return t;
    });
    private volatile Platform platform;

    private HaController(Builder b) {
        this.client = b.client;
        this.root = b.root;
        this.factory = b.factory;
        this.onLead = b.onLead;
        this.onStepDown = b.onStepDown;
        this.leadership = new Leadership(client, root, b.id);
        leadership.addListener(new Leadership.Listener() {
            @Override
            public void elected(long epoch) {
                changes.execute(() -> lead(epoch));
            }

            @Override
            public void deposed() {
                changes.execute(HaController.this::stepDown);
            }
        });
    }

    /** A builder; client, root, id and platform are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** Joins the election. */
    public void start() throws Exception {
        leadership.start();
    }

    /** The platform while this controller leads and it is built; empty otherwise. */
    public Optional<Platform> platform() {
        return Optional.ofNullable(platform);
    }

    /** The election this controller takes part in. */
    public Leadership leadership() {
        return leadership;
    }

    private void lead(long epoch) {
        if (leadership.epoch() != epoch || platform != null) {
            return; // deposed again meanwhile, or already leading
        }
        try {
            // fenced by this lead's epoch only: once it ends, the store refuses at once
            Platform p = factory.apply(new ZooKeeperStateStore(client, root, leadership.epochPath(),
                    () -> leadership.epoch() == epoch ? epoch : -1));
            platform = p;
            LOG.info("ha: {} leads (epoch {}): the platform runs here", leadership.id(), epoch);
            onLead.accept(p);
        } catch (RuntimeException | Error e) {
            LOG.error("ha: {} was elected but could not start the platform; giving the lead back", leadership.id(), e);
            stepDown();
            leadership.rejoin(); // another controller may do better; this one stays in the election
        }
    }

    private void stepDown() {
        Platform p = platform;
        platform = null;
        if (p == null) {
            return;
        }
        LOG.warn("ha: {} no longer leads: closing its platform (instances keep running)", leadership.id());
        try {
            p.close(); // first: a deposed controller must stop acting on backends and the router at once
        } finally {
            onStepDown.accept(p);
        }
    }

    /** Leaves the election; a leader closes its platform first (instances keep running). */
    @Override
    public void close() {
        leadership.close(); // tells the listener: the step-down runs on the changes thread
        changes.shutdown();
        try {
            if (!changes.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("ha: {}: the platform was still closing after 60 s", leadership.id());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Builds an {@link HaController}. */
    public static final class Builder {
        private CuratorFramework client;
        private String root;
        private String id;
        private Function<StateStore, Platform> factory;
        private Consumer<Platform> onLead = p -> { };
        private Consumer<Platform> onStepDown = p -> { };

        private Builder() {
        }

        /** A started Curator client of the ZooKeeper ensemble (not closed with the controller). */
        public Builder client(CuratorFramework client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /** The root path the controllers of one platform share, such as {@code /berth/prod}. */
        public Builder root(String root) {
            this.root = ZkRoot.check(root);
            return this;
        }

        /** This controller's id: its API URL (such as {@code http://10.0.0.5:4000}), where followers forward to. */
        public Builder id(String id) {
            this.id = Objects.requireNonNull(id, "id");
            return this;
        }

        /** Builds the platform on the given store when this controller is elected. */
        public Builder platform(Function<StateStore, Platform> factory) {
            this.factory = Objects.requireNonNull(factory, "platform");
            return this;
        }

        /** Called with the platform once this controller leads (start hook modules, say). */
        public Builder onLead(Consumer<Platform> action) {
            this.onLead = Objects.requireNonNull(action, "onLead");
            return this;
        }

        /** Called with the platform just after it was closed on a step-down (switch the API, stop hook modules). */
        public Builder onStepDown(Consumer<Platform> action) {
            this.onStepDown = Objects.requireNonNull(action, "onStepDown");
            return this;
        }

        public HaController build() {
            if (client == null || root == null || id == null || factory == null) {
                throw new IllegalStateException("ha: set client, root, id and platform");
            }
            return new HaController(this);
        }
    }
}
