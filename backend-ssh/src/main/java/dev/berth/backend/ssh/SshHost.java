// One Linux host the SSH backend runs instances on, and the cluster node it is (public, immutable).
package dev.berth.backend.ssh;

import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;

/**
 * One Linux host that {@link SshBackend} runs instances on, and the cluster node it is. Built
 * with {@link #builder(String)} (or read from YAML by {@link SshHosts#load}); every field is
 * checked at construction and a bad one throws an {@link IllegalArgumentException} naming the
 * host, the field, the value and what is allowed. Immutable and thread-safe.
 *
 * <p>The host's key is always verified, by exactly one of: a pinned {@code hostKey} (a public key
 * line such as {@code ssh-ed25519 AAAA...}, or its {@code SHA256:...} fingerprint as
 * {@code ssh-keygen -lf} prints it; kept here as the fingerprint), or a {@code knownHosts} file in
 * OpenSSH's format (default {@code ~/.ssh/known_hosts}). With {@code trustOnFirstUse} a key the
 * known-hosts file does not know yet is accepted once and recorded there, and pinned from then
 * on; a key that differs from a recorded one is always refused.
 *
 * @param id              the node id (1-63 of A-Z a-z 0-9 . _ -)
 * @param address         the IP address or DNS name sshd listens on; also the host part of the
 *                        instances' endpoints
 * @param port            sshd's port, 1-65535 (default 22)
 * @param user            the remote user instances run as
 * @param privateKey      the client's private key file (OpenSSH or PEM format, ed25519, ECDSA or
 *                        RSA; not passphrase-protected)
 * @param knownHosts      the known-hosts file, or null when {@code hostKey} pins the key
 * @param hostKey         the pinned key's SHA256 fingerprint, or null when {@code knownHosts} is used
 * @param trustOnFirstUse whether an unknown key is recorded in {@code knownHosts} instead of refused
 * @param labels          the node's labels, for placement constraints
 * @param capacity        what the node offers to the scheduler (dimensions not named are unlimited)
 * @param baseDir         the absolute directory on the host holding releases and instances
 */
public record SshHost(String id, String address, int port, String user, Path privateKey, Path knownHosts,
                      String hostKey, boolean trustOnFirstUse, Map<String, String> labels, Resources capacity,
                      String baseDir) {

    private static final Pattern FINGERPRINT = Pattern.compile("SHA256:[A-Za-z0-9+/]{43}");
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    public SshHost {
        if (id == null || !NODE_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("host id '" + Names.printable(id) + "' is not allowed: must be 1-63 of "
                    + "A-Z a-z 0-9 . _ -, starting with a letter or digit");
        }
        String where = "host '" + id + "': ";
        if (address == null || !Names.ADDRESS.matcher(address).matches()) {
            throw new IllegalArgumentException(where + "address '" + Names.printable(address) + "' is not allowed: "
                    + "must be an IP address or host name (A-Z a-z 0-9 . : _ -)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(where + "port " + port + " is not allowed: must be 1-65535");
        }
        if (user == null || !Names.USER.matcher(user).matches()) {
            throw new IllegalArgumentException(where + "user '" + Names.printable(user) + "' is not allowed: must be "
                    + "a user name of 1-32 of A-Z a-z 0-9 . _ -, starting with a letter or _");
        }
        if (privateKey == null) {
            throw new IllegalArgumentException(where + "privateKey is not set: it is required (a private key file "
                    + "such as ~/.ssh/id_ed25519)");
        }
        privateKey = privateKey.toAbsolutePath().normalize();
        if (hostKey != null) {
            if (knownHosts != null) {
                throw new IllegalArgumentException(where + "knownHosts '" + knownHosts + "' and hostKey are both set: "
                        + "set one of them (a pinned hostKey, or a knownHosts file)");
            }
            if (trustOnFirstUse) {
                throw new IllegalArgumentException(where + "trustOnFirstUse true is not allowed with a pinned hostKey: "
                        + "it records unknown keys in a knownHosts file");
            }
            hostKey = fingerprintOf(where, hostKey);
        } else {
            if (knownHosts == null) {
                knownHosts = Path.of(System.getProperty("user.home"), ".ssh", "known_hosts");
            }
            knownHosts = knownHosts.toAbsolutePath().normalize();
        }
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(capacity, "capacity");
        try {
            labels = new NodeSpec(id, capacity, labels).labels();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
        if (baseDir == null || !Names.isAbsolutePath(baseDir)) {
            throw new IllegalArgumentException(where + "baseDir '" + Names.printable(baseDir) + "' is not allowed: must be "
                    + Names.PATH_ALLOWED);
        }
    }

    /** A builder for the host with that node id: port 22, known hosts in ~/.ssh/known_hosts, no labels, no capacity. */
    public static Builder builder(String id) {
        return new Builder(id);
    }

    /** This host as a cluster node: its id, capacity and labels. */
    public NodeSpec node() {
        return new NodeSpec(id, capacity, labels);
    }

    /** {@code user@address:port}, for messages. */
    public String target() {
        return user + "@" + address + ":" + port;
    }

    /**
     * The SHA256 fingerprint of a public key line ({@code type base64 [comment]}) or the
     * fingerprint itself, checked; as OpenSSH prints it: {@code SHA256:} and unpadded base64.
     */
    static String fingerprintOf(String where, String key) {
        String k = key.trim();
        if (FINGERPRINT.matcher(k).matches()) {
            return k;
        }
        String[] parts = k.split("\\s+");
        if (parts.length >= 2 && parts[0].matches("[a-z0-9@.-]{3,64}")) {
            try {
                byte[] blob = Base64.getDecoder().decode(parts[1]);
                java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
                return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(sha.digest(blob));
            } catch (IllegalArgumentException | java.security.NoSuchAlgorithmException e) {
                // falls through to the error below
            }
        }
        throw new IllegalArgumentException(where + "hostKey '" + Names.printable(key) + "' is not allowed: must be a "
                + "public key line such as 'ssh-ed25519 AAAA...' or its fingerprint 'SHA256:' + 43 base64 characters "
                + "(as ssh-keygen -lf prints it)");
    }

    /**
     * Builds a {@link SshHost}; {@link #build()} checks every field. Not thread-safe.
     */
    public static final class Builder {
        private final String id;
        private String address;
        private int port = 22;
        private String user = System.getProperty("user.name");
        private Path privateKey;
        private Path knownHosts;
        private String hostKey;
        private boolean trustOnFirstUse;
        private final Map<String, String> labels = new LinkedHashMap<>();
        private Resources capacity = Resources.none();
        private String baseDir;

        private Builder(String id) {
            this.id = id;
        }

        /** The IP address or DNS name of the host (required). */
        public Builder address(String address) {
            this.address = address;
            return this;
        }

        /** sshd's port (default 22). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** The remote user (default: this JVM's user name). */
        public Builder user(String user) {
            this.user = user;
            return this;
        }

        /** The private key file to log in with (required). */
        public Builder privateKey(Path privateKey) {
            this.privateKey = privateKey;
            return this;
        }

        /** The known-hosts file that verifies the host's key (default ~/.ssh/known_hosts). */
        public Builder knownHosts(Path knownHosts) {
            this.knownHosts = knownHosts;
            return this;
        }

        /** Pins the host's key: a public key line or its {@code SHA256:...} fingerprint. */
        public Builder hostKey(String hostKey) {
            this.hostKey = hostKey;
            return this;
        }

        /** Whether an unknown host key is recorded in the known-hosts file on first contact (default false). */
        public Builder trustOnFirstUse(boolean trustOnFirstUse) {
            this.trustOnFirstUse = trustOnFirstUse;
            return this;
        }

        public Builder label(String key, String value) {
            labels.put(key, value);
            return this;
        }

        public Builder labels(Map<String, String> labels) {
            this.labels.putAll(labels);
            return this;
        }

        /** What the node offers to the scheduler (default: nothing declared, so unlimited). */
        public Builder capacity(Resources capacity) {
            this.capacity = capacity;
            return this;
        }

        /** The absolute directory on the host for releases and instances (required). */
        public Builder baseDir(String baseDir) {
            this.baseDir = baseDir;
            return this;
        }

        public SshHost build() {
            return new SshHost(id, address, port, user, privateKey, knownHosts, hostKey, trustOnFirstUse, labels,
                    capacity, baseDir);
        }
    }
}
