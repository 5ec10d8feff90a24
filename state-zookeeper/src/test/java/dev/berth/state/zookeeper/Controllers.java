// What the HA ITs share: a real ZooKeeper server in-process, controllers on the process backend in one folder, and their cleanup.
package dev.berth.state.zookeeper;

import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;

/**
 * Controllers of one platform on this machine: each its own ZooKeeper client (session 4 s) and
 * data folder, all sharing the process backend's instances folder, so a new leader adopts what
 * the last one started. {@link #close()} stops every instance, then closes everything.
 */
final class Controllers implements AutoCloseable {
    private final TestingServer zk;
    private final Path tmp;
    private final List<AutoCloseable> closing = new ArrayList<>();
    /** The clients, in the order the controllers were made. */
    final List<CuratorFramework> clients = new ArrayList<>();
    private final List<Platform> built = new CopyOnWriteArrayList<>();

    Controllers(Path tmp) throws Exception {
        this.zk = new TestingServer(true);
        this.tmp = tmp;
    }

    /** A started controller named {@code id} under {@code root}; {@code more} adds to its builder (onLead, ...). */
    HaController start(String id, String root, UnaryOperator<HaController.Builder> more) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.builder().connectString(zk.getConnectString())
                .sessionTimeoutMs(4000).connectionTimeoutMs(2000).retryPolicy(new ExponentialBackoffRetry(100, 5)).build();
        client.start();
        closing.add(client);
        clients.add(client);
        String folder = "data-" + clients.size();
        HaController c = more.apply(HaController.builder().client(client).root(root).id(id)
                .platform(store -> {
                    Platform p = Platform.builder().node(NodeSpec.of("local", Resources.builder().cpu(8).build()))
                            .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                            .stateStore(store).dataDir(tmp.resolve(folder)).build();
                    built.add(p);
                    return p;
                })).build();
        closing.add(c);
        c.start();
        return c;
    }

    /** Closes something with the controllers (in reverse order of adding). */
    void closeLater(AutoCloseable c) {
        closing.add(c);
    }

    /** Expires the session of the {@code index}th controller's client, as when its machine dies. */
    void expireSession(int index) throws Exception {
        clients.get(index).getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
    }

    @Override
    public void close() throws Exception {
        for (Platform p : built) {
            try {
                p.stopAll(Duration.ofSeconds(30));
            } catch (RuntimeException closed) {
                // closed on a step-down: a later leader's platform stops the instances
            }
        }
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        zk.close();
    }
}
