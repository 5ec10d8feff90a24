package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The real git CLI with an isolated configuration (its own HOME, no system config, no prompts). */
final class GitCli {
    private final Path home;

    GitCli(Path home) {
        this.home = home;
    }

    /** Runs git in {@code dir}; returns its output and "exit N", failing on a non-zero exit unless allowed. */
    String run(Path dir, boolean mayFail, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("git", "-c", "user.name=Berth Test", "-c",
                "user.email=test@berth.dev", "-c", "init.defaultBranch=main"));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("HOME", home.toString());
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_TERMINAL_PROMPT", "0");
        Process p = pb.start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        if (!mayFail) {
            assertThat(p.exitValue()).as("git " + String.join(" ", args) + ": " + out).isZero();
        }
        return out + "\nexit " + p.exitValue();
    }

    /**
     * Writes the small Java app of {@code pushed-app/Hello.java.txt} into {@code repo}, answering
     * {@code version} and its /health with {@code health}, and commits it.
     */
    void commitHello(Path repo, String version, int health) throws Exception {
        String source;
        try (InputStream in = GitCli.class.getResourceAsStream("/pushed-app/Hello.java.txt")) {
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Files.writeString(repo.resolve("Hello.java"),
                source.replace("VERSION", version).replace("HEALTH", Integer.toString(health)));
        run(repo, false, "add", "Hello.java");
        run(repo, false, "commit", "-q", "-m", version);
    }
}
