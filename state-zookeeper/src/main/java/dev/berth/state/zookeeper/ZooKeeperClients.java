// Curator clients for Berth's controllers: bounded retries, and ACLs that only the controllers' credentials pass.
package dev.berth.state.zookeeper;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;

/**
 * Starts the Curator client a controller shares ZooKeeper through. Its retries are few (3, at most
 * a second apart): a leader whose ensemble does not answer must give up its writes and step down,
 * not retry for minutes. With credentials ({@code USER:PASSWORD}, from {@link #AUTH_ENV}) the
 * client authenticates with ZooKeeper's {@code digest} scheme and every node it creates carries
 * the creator-only ACL: only controllers with the same credentials can read the state, join the
 * election or name a leader. Without them the nodes are open to anyone who reaches the ensemble.
 */
public final class ZooKeeperClients {
    /** The environment variable holding the controllers' ZooKeeper credentials (never a flag: it would show in ps). */
    public static final String AUTH_ENV = "BERTH_ZK_AUTH";
    private static final Pattern CREDENTIALS = Pattern.compile("[A-Za-z0-9._-]{1,64}:[\\x21-\\x7e]{12,200}");

    private ZooKeeperClients() {
    }

    /** {@code credentials} when they are USER:PASSWORD as allowed; else an exception naming the rule, never the value. */
    public static String checkCredentials(String credentials) {
        if (credentials == null || !CREDENTIALS.matcher(credentials).matches()) {
            throw new IllegalArgumentException(AUTH_ENV + " is not allowed as given: USER:PASSWORD, the user 1-64 of "
                    + "A-Z a-z 0-9 . _ -, the password 12-200 printable characters without spaces");
        }
        return credentials;
    }

    /**
     * A started client of {@code ensemble} with {@code session} as its session timeout (and at most
     * 15 s to connect), authenticated and creating nodes only its credentials pass when
     * {@code credentials} are given; bad credentials throw, naming the rule and never the value.
     */
    public static CuratorFramework start(String ensemble, Duration session, Optional<String> credentials) {
        int ms = Math.toIntExact(session.toMillis());
        CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder().connectString(ensemble)
                .sessionTimeoutMs(ms).connectionTimeoutMs(Math.min(ms, 15_000))
                .retryPolicy(new BoundedExponentialBackoffRetry(100, 1000, 3));
        if (credentials.isPresent()) {
            String c = checkCredentials(credentials.get());
            b.authorization("digest", c.getBytes(StandardCharsets.UTF_8)).aclProvider(new ACLProvider() {
                @Override
                public List<ACL> getDefaultAcl() {
                    return ZooDefs.Ids.CREATOR_ALL_ACL;
                }

                @Override
                public List<ACL> getAclForPath(String path) {
                    return ZooDefs.Ids.CREATOR_ALL_ACL;
                }
            });
        }
        CuratorFramework client = b.build();
        client.start();
        return client;
    }
}
