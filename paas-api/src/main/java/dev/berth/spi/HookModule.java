// A hook module: turns the hook queue's jobs (an instance UP or DOWN) into something outside, such as a webhook or a file.
package dev.berth.spi;

import dev.berth.api.HookJob;
import java.util.Map;

/**
 * A hook module, configured per app by a preset whose options it checks. It is handed one job at
 * a time per app, in the order the platform saw the changes; apps' jobs may run in parallel.
 *
 * <p><b>Delivery is at least once.</b> A job that failed (threw) is retried with back-off, and
 * after a restart or an inventory sync a job may come again: a module must be idempotent by
 * {@link HookJob#instance()} (an UP for an instance it has is a no-op, a DOWN for one it has not
 * is a no-op). Implementations must be thread-safe across apps.
 */
public interface HookModule {

    /** Its name, as presets and the API name it: 1-63 of a-z, 0-9 and '-'. */
    String name();

    /**
     * Checks a preset's options before they are saved.
     *
     * @param options the preset's options (JSON values: strings, numbers, booleans, lists, maps)
     * @throws dev.berth.api.InvalidSpecException naming the option, its value and what is allowed
     */
    void validate(Map<String, Object> options);

    /**
     * Handles one job with its preset's options (already validated). Returning is success; a
     * thrown exception fails the job, which is retried with back-off while the app's later jobs
     * wait (other apps go on).
     */
    void handle(HookJob job, Map<String, Object> options) throws Exception;
}
