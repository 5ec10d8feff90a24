// The backend contract (backend-contract's BackendContract) against a real dockerd and a locally imported busybox image.
package dev.berth.backend.docker;

import dev.berth.api.AppSpec;
import dev.berth.spi.Backend;
import dev.berth.contract.BackendContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link DockerBackend} keeps the contract every backend keeps: real containers of a local image. */
class DockerBackendContractIT extends BackendContract {
    /** One node id for the class: a new backend object over the same node adopts what runs there. */
    private static final String NODE = Kit.node();

    @BeforeAll
    static void image() throws Exception {
        Kit.ensureDockerAndImage();
    }

    @AfterAll
    static void removeLeftovers() throws Exception {
        Kit.removeTestContainers();
    }

    @Override
    protected Backend newBackend() {
        return Kit.builder(NODE).build();
    }

    @Override
    protected String node() {
        return NODE;
    }

    @Override
    protected boolean runsSetup() {
        return false; // a container's setup is built into its image (RUN in the Dockerfile)
    }

    @Override
    protected AppSpec.Builder app(String name, String script) {
        return Kit.sh(name, script);
    }
}
