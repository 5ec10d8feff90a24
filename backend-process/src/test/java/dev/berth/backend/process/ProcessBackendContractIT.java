// The backend contract (backend-contract's BackendContract) against real processes under a temporary base dir.
package dev.berth.backend.process;

import dev.berth.spi.Backend;
import dev.berth.contract.BackendContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** {@link ProcessBackend} keeps the contract every backend keeps: real processes, a real base dir. */
class ProcessBackendContractIT extends BackendContract {
    @TempDir
    Path base;

    @Override
    protected Backend newBackend() {
        return Kit.builder(base).build();
    }

    @Override
    protected String node() {
        return Kit.NODE;
    }

    @AfterEach
    void stopWhatRuns() {
        Kit.stopAll(base); // and wait for the wrappers, before JUnit deletes the base dir
    }
}
