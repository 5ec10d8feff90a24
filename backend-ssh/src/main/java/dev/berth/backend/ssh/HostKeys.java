// Host key verification for every SSH connection: each host's pinned key or known-hosts file.
package dev.berth.backend.ssh;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one {@link ServerKeyVerifier} of the backend's SSH client: it finds the {@link HostLink}
 * that opened the connection (an attribute of the connection context) and checks the key the
 * server presents against that host's policy: its pinned fingerprint, or its known-hosts file
 * (through MINA's {@link KnownHostsServerKeyVerifier}, one per file, which re-reads the file when
 * it changes). An unknown key is refused unless the host trusts on first use, then recorded; a
 * changed key is always refused. Each refusal is recorded on the link, so that the failed connect
 * can say which host presented which fingerprint. Thread-safe.
 */
final class HostKeys implements ServerKeyVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(HostKeys.class);
    static final AttributeKey<HostLink> LINK = new AttributeKey<>();

    private final Map<Path, KnownHostsServerKeyVerifier> files = new ConcurrentHashMap<>();

    /** The SHA256 fingerprint as OpenSSH prints it: {@code SHA256:} and unpadded base64. */
    static String fingerprint(PublicKey key) {
        return KeyUtils.getFingerPrint(key);
    }

    static AttributeRepository context(HostLink link) {
        return AttributeRepository.ofKeyValuePair(LINK, link);
    }

    private static HostLink linkOf(ClientSession session) {
        AttributeRepository context = session.getConnectionContext();
        return context == null ? null : context.getAttribute(LINK);
    }

    @Override
    public boolean verifyServerKey(ClientSession session, SocketAddress remote, PublicKey key) {
        HostLink link = linkOf(session);
        if (link == null) {
            LOG.warn("refusing the host key of {}: the connection was not opened by the SSH backend", remote);
            return false;
        }
        SshHost host = link.host();
        String fp = fingerprint(key);
        if (host.hostKey() != null) {
            if (host.hostKey().equals(fp)) {
                return true;
            }
            link.refused("host '" + host.id() + "' (" + host.target() + ") presented the host key "
                    + KeyUtils.getKeyType(key) + " " + fp + ", which is not the pinned hostKey " + host.hostKey()
                    + ": refused (the host was reinstalled, or someone is in the middle; check the key on the host "
                    + "with ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub)");
            return false;
        }
        KnownHostsServerKeyVerifier verifier = files.computeIfAbsent(host.knownHosts(), this::verifierFor);
        return verifier.verifyServerKey(session, remote, key);
    }

    private KnownHostsServerKeyVerifier verifierFor(Path file) {
        // Called for keys the file does not know: accepted (and then recorded by MINA) only for a
        // host that chose trust-on-first-use.
        ServerKeyVerifier unknown = (session, remote, key) -> {
            HostLink link = linkOf(session);
            if (link == null) {
                return false;
            }
            SshHost host = link.host();
            String fp = fingerprint(key);
            if (host.trustOnFirstUse()) {
                LOG.warn("host '{}' ({}): trusting its unknown host key {} {} on first use and recording it in {}",
                        host.id(), host.target(), KeyUtils.getKeyType(key), fp, file);
                prepare(file);
                return true;
            }
            link.refused("host '" + host.id() + "' (" + host.target() + ") presented the unknown host key "
                    + KeyUtils.getKeyType(key) + " " + fp + ", which is not in the known-hosts file " + file
                    + ": refused (add the host's key there, e.g. with ssh-keyscan after checking its fingerprint, "
                    + "pin it with hostKey, or set trustOnFirstUse)");
            return false;
        };
        KnownHostsServerKeyVerifier verifier = new KnownHostsServerKeyVerifier(unknown, file);
        verifier.setModifiedServerKeyAcceptor((session, remote, entry, expected, actual) -> {
            HostLink link = linkOf(session);
            if (link != null) {
                SshHost host = link.host();
                link.refused("host '" + host.id() + "' (" + host.target() + ") presented the host key "
                        + KeyUtils.getKeyType(actual) + " " + fingerprint(actual) + ", but the known-hosts file "
                        + file + " records " + describe(entry, expected) + " for it: refused, the key CHANGED (the host "
                        + "was reinstalled, or someone is in the middle; if the change is expected, remove the old "
                        + "line from " + file + ")");
            }
            return false;
        });
        return verifier;
    }

    private static String describe(KnownHostEntry entry, PublicKey expected) {
        String fp = expected == null ? "another key" : KeyUtils.getKeyType(expected) + " " + fingerprint(expected);
        return entry == null ? fp : fp + " (line '" + Names.printable(entry.getConfigLine()) + "')";
    }

    /** Makes sure the known-hosts file can be appended to: its directory exists, the file is owner-only. */
    private static void prepare(Path file) {
        try {
            Path dir = file.getParent();
            if (dir != null && !Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            if (!Files.exists(file)) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("cannot prepare the known-hosts file {}: {}", file, e.toString());
        }
    }
}
