// The MINA SSH client the backend logs in with, and the hosts' private keys it logs in with.
package dev.berth.backend.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * Makes the {@link SshClient} of a backend, which verifies every host key ({@link HostKeys}) and
 * logs in with public keys only, and loads the hosts' private keys. Stateless and thread-safe.
 */
final class SshClients {
    private SshClients() {
    }

    /** A started client: never ~/.ssh/config, never the default identities, never passwords, only what the hosts say. */
    static SshClient start(SshOptions options) {
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(new HostKeys());
        client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        client.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        CoreModuleProperties.IO_CONNECT_TIMEOUT.set(client, options.connectTimeout());
        CoreModuleProperties.AUTH_TIMEOUT.set(client, options.authTimeout());
        CoreModuleProperties.WINDOW_TIMEOUT.set(client, options.copyTimeout());
        client.start();
        return client;
    }

    /**
     * The private keys of every host, by node id; a key file shared by several hosts is read once.
     * Throws an {@link IllegalArgumentException} naming the host and the file for a key that cannot be used.
     */
    static Map<String, List<KeyPair>> loadKeys(Collection<SshHost> hosts) {
        Map<Path, List<KeyPair>> byFile = new HashMap<>();
        Map<String, List<KeyPair>> keys = new HashMap<>();
        for (SshHost h : hosts) {
            keys.put(h.id(), byFile.computeIfAbsent(h.privateKey(), file -> load(h)));
        }
        return keys;
    }

    private static List<KeyPair> load(SshHost h) {
        Path file = h.privateKey();
        String where = "host '" + h.id() + "': privateKey '" + file + "' is not allowed: ";
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException(where + "must be a readable private key file");
        }
        List<KeyPair> list = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(file.toString()),
                    in, FilePasswordProvider.EMPTY);
            if (pairs != null) {
                pairs.forEach(list::add);
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException(where + "cannot load it (it must be an unencrypted OpenSSH or PEM "
                    + "private key: ed25519, ECDSA or RSA): " + e.getMessage(), e);
        }
        if (list.isEmpty()) {
            throw new IllegalArgumentException(where + "it holds no private key");
        }
        return list;
    }
}
