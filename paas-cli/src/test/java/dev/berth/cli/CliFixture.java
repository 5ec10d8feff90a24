// What the berth client's ITs share: a real platform (process backend) behind a real control server, and berth run in this JVM.
package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import dev.berth.server.ControlServer;
import dev.berth.server.Tokens;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** One node "local" of 16 CPUs, instances as processes under the test's folder, the file-sd hook module, an admin and a read token. */
final class CliFixture implements AutoCloseable {
    static final String ADMIN = "admin-token-0123456789";
    static final String READ = "read-token-0123456789";
    static final ObjectMapper JSON = new ObjectMapper();

    final Platform platform;
    final dev.berth.hooks.Hooks hooks;
    final ControlServer server;

    /** What one run printed, and its exit code. */
    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    CliFixture(Path tmp) {
        platform = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(16).build()))
                .backend(ProcessBackend.builder().baseDir(tmp.resolve("instances")).build())
                .stateDir(tmp.resolve("state"))
                .build();
        hooks = dev.berth.hooks.Hooks.builder().platform(platform).module(new dev.berth.hooks.FileSdModule())
                .stateFile(tmp.resolve("hooks.json")).build();
        server = ControlServer.builder().platform(platform).hooks(hooks).bind("127.0.0.1", 0)
                .tokens(Tokens.parse(List.of("admin " + ADMIN, "read " + READ), "test")).build();
    }

    /** Runs {@code berth ARGS} against this server with {@code token}, as the launcher would. */
    Run berth(String token, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.isEmpty() && !all.get(0).equals("generate-completion")) {
            all.addAll(1, List.of("--addr", server.url(), "--token", token));
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Berth.run(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Override
    public void close() {
        server.close();
        hooks.close();
        platform.stopAll(Duration.ofSeconds(30));
        platform.close();
    }
}
