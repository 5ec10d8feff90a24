// The backend contract (backend-contract's BackendContract) against a real OpenSSH host in its own network namespace.
package dev.berth.backend.ssh;

import dev.berth.api.AppSpec;
import dev.berth.spi.Backend;
import dev.berth.contract.BackendContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link SshBackend} keeps the contract every backend keeps: a real sshd, real processes on its host. */
class SshBackendContractIT extends BackendContract {
    private static Kit kit;

    @BeforeAll
    static void host() throws Exception {
        kit = Kit.withHosts(70, 1);
    }

    @AfterAll
    static void removeHost() {
        if (kit != null) {
            kit.close();
        }
    }

    @Override
    protected Backend newBackend() {
        return kit.backend().build();
    }

    @Override
    protected String node() {
        return Kit.node(kit.hosts.get(0));
    }

    @Override
    protected AppSpec.Builder app(String name, String script) {
        return Kit.sh(name, script);
    }
}
