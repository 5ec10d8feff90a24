package dev.berth.backend.ssh;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Real SSH hosts for the integration tests of other modules (published in this module's test
 * jar): {@code count} network namespaces with their own sshd, address {@code 10.213.N.2}, host
 * key and base dir, and a client key and known-hosts file that let a backend in. Hosts can be
 * killed (every process in the namespace) or cut off (link down) and healed. {@link #close()}
 * removes every namespace, link and file. Needs root, iproute2 and openssh-server. Not
 * thread-safe.
 */
public final class TestHosts implements AutoCloseable {
    private final Kit kit;

    private TestHosts(Kit kit) {
        this.kit = kit;
    }

    /** Hosts {@code first .. first+count-1} (1-250), named {@code h<N>}; removes leftovers of crashed runs first. */
    public static TestHosts create(int first, int count) throws IOException {
        return new TestHosts(Kit.withHosts(first, count));
    }

    /** The hosts, ready for {@link SshBackendBuilder#hosts}. */
    public List<SshHost> hosts() {
        return kit.sshHosts();
    }

    /** A backend over every host with short timeouts and a 300 ms heartbeat. */
    public SshBackendBuilder backend() {
        return kit.backend();
    }

    /** The client's private key and the known-hosts file that knows every host (for a hosts file). */
    public Path clientKey() {
        return kit.clientKey;
    }

    public Path knownHosts() {
        return kit.knownHosts;
    }

    /** The address of host {@code node} ({@code 10.213.N.2}). */
    public String address(String node) {
        return kit.netns(node).address;
    }

    /** The base directory of host {@code node}. */
    public Path baseDir(String node) {
        return kit.netns(node).baseDir;
    }

    /** Kills every process of host {@code node}: sshd and instances. */
    public void kill(String node) throws IOException {
        kit.netns(node).killAll();
    }

    /** Takes host {@code node}'s link down: it runs on, unreachable. */
    public void cut(String node) throws IOException {
        kit.netns(node).cut();
    }

    /** Gives host {@code node}'s login shell a {@code ~/.bashrc} that sleeps {@code seconds} (1-9), as a slow {@code pyenv init} does. */
    public void slowLogin(String node, int seconds) throws IOException {
        kit.netns(node).slowLogin(seconds);
    }

    /** Brings host {@code node}'s link back up. */
    public void heal(String node) throws IOException {
        kit.netns(node).heal();
    }

    @Override
    public void close() {
        kit.close();
    }
}
