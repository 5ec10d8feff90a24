package dev.berth.core.internal.git;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code git} CLI as a subprocess: argv lists, a clean environment (own HOME, no system
 * config, no terminal prompts, no proxies), identity given with {@code -c}.
 */
final class GitCli {
    static final String GIT = "/usr/bin/git";

    private final Path home;

    GitCli(Path home) {
        this.home = home;
    }

    record Result(int exit, String output) {
        Result ok() {
            if (exit != 0) {
                throw new AssertionError("git failed (" + exit + "):\n" + output);
            }
            return this;
        }
    }

    Result run(Path dir, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(GIT, "-c", "user.name=Berth Test", "-c",
                "user.email=test@berth.invalid", "-c", "init.defaultBranch=master", "-c", "credential.helper="));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/bin:/bin");
        env.put("HOME", home.toString());
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_TERMINAL_PROMPT", "0");
        env.put("LANG", "C");
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("git " + String.join(" ", args) + " did not finish in 30 s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
