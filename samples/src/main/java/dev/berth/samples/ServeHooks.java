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
        return Hooks.builder().platform(platform)
                .module(new WebhookModule()).module(new CommandModule()).module(new FileSdModule()).module(new HelloModule())
                .stateFile(root.resolve("platform").resolve("hooks.json"))
                .build();
    }
}
