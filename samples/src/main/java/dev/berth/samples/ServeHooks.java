// Serve's hook modules: webhook, command, file-sd and the hello sample, with presets and checkpoints in the state folder.
package dev.berth.samples;

import dev.berth.core.Platform;
import dev.berth.hooks.CommandModule;
import dev.berth.hooks.FileSdModule;
import dev.berth.hooks.Hooks;
import dev.berth.hooks.WebhookModule;
import java.nio.file.Path;

/** Starts the hook modules of {@link Serve}: presets are set over the API ({@code berth presets:set}) and kept in {@code STATE/platform/hooks.json}. */
final class ServeHooks {
    private ServeHooks() {
    }

    static Hooks start(Platform platform, Path root) {
        return modules(Hooks.builder().platform(platform)).stateFile(root.resolve("platform").resolve("hooks.json")).build();
    }

    /** The same modules, their presets and checkpoints in {@code state} (ZooKeeper, for several controllers). */
    static Hooks start(Platform platform, dev.berth.hooks.HookState state) {
        return modules(Hooks.builder().platform(platform)).state(state).build();
    }

    private static Hooks.Builder modules(Hooks.Builder b) {
        return b.module(new WebhookModule()).module(new CommandModule()).module(new FileSdModule()).module(new HelloModule());
    }
}
