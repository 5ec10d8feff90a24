package dev.berth.backend.docker;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.awaitility.core.ConditionFactory;

import dev.berth.api.AppSpec;
import dev.berth.spi.LaunchRequest;
import dev.berth.api.Source;

/**
 * Shared helpers for the Docker backend's integration tests: a real dockerd (the tests fail, never
 * skip, without one), a local busybox image made by {@code docker import} (nothing is pulled), and
 * clean-up by label through the docker CLI (argv lists only).
 */
final class Kit {
    /** The test image: a root file system of Debian's busybox-static, imported once per run (2: with stty and tty). */
    static final String IMAGE = "berth-test/busybox:2";
    /** Every container and image the tests make carries this label. */
    static final String TEST_LABEL = "dev.berth.test";
    static final String RELEASE = "r1";
    private static final List<String> APPLETS = List.of("sh", "httpd", "echo", "cat", "sleep", "mkdir", "ls", "env",
            "id", "true", "false", "kill", "ps", "wget", "printf", "head", "tail", "pwd", "stty", "tty");

    private Kit() {
    }

    /** A node id unique to this test class run, so leftovers of other runs never mix in. */
    static String node() {
        return "it-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static DockerBackend.Builder builder(String node) {
        return DockerBackend.builder().node(node).label(TEST_LABEL, "true");
    }

    static AppSpec.Builder sh(String app, String script) {
        return AppSpec.builder(app).source(Source.image(IMAGE)).command("sh", "-c", script);
    }

    /** An app serving "hello $BERTH_INSTANCE_ID" over HTTP on $PORT with busybox httpd. */
    static AppSpec.Builder web(String app) {
        return sh(app, "mkdir -p /tmp/w && echo \"hello $BERTH_INSTANCE_ID\" > /tmp/w/index.html"
                + " && echo serving on $PORT && exec httpd -f -p $PORT -h /tmp/w").env("PORT", AppSpec.RANDOM_PORT);
    }

    static LaunchRequest req(String id, String node, AppSpec spec) {
        return new LaunchRequest(id, node, spec, RELEASE);
    }

    static ConditionFactory waiting() {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100));
    }

    /** Fails (never skips) when the docker CLI or daemon is missing; imports the test image if absent. */
    static synchronized void ensureDockerAndImage() throws IOException {
        Result v = docker("version", "--format", "{{.Server.Version}}");
        if (v.code != 0) {
            throw new AssertionError("these tests need a running Docker Engine on unix:///var/run/docker.sock "
                    + "(scripts/test.sh installs docker.io and starts dockerd): docker version said: " + v.out);
        }
        if (docker("image", "inspect", IMAGE).code == 0) {
            return;
        }
        Path busybox = Path.of("/bin/busybox");
        if (!Files.isRegularFile(busybox)) {
            throw new AssertionError("these tests need /bin/busybox from Debian's busybox-static (scripts/test.sh "
                    + "installs it)");
        }
        Path root = Files.createTempDirectory("berth-busybox-root");
        Path tar = Files.createTempFile("berth-busybox", ".tar");
        try {
            Files.createDirectories(root.resolve("bin"));
            Files.createDirectories(root.resolve("tmp"));
            Files.copy(busybox, root.resolve("bin/busybox"));
            for (String applet : APPLETS) {
                Files.createSymbolicLink(root.resolve("bin").resolve(applet), Path.of("busybox"));
            }
            Result t = run(List.of("tar", "-C", root.toString(), "-cf", tar.toString(), "."));
            if (t.code != 0) {
                throw new AssertionError("tar of the busybox root failed: " + t.out);
            }
            Result i = docker("import", "--change", "ENV PATH=/bin", "--change", "LABEL " + TEST_LABEL + "=true",
                    tar.toString(), IMAGE);
            if (i.code != 0) {
                throw new AssertionError("docker import of the busybox root failed: " + i.out);
            }
        } finally {
            run(List.of("rm", "-rf", root.toString(), tar.toString()));
        }
    }

    /** Removes every container carrying the test label (of any node). */
    static void removeTestContainers() throws IOException {
        Result ps = docker("ps", "-aq", "--filter", "label=" + TEST_LABEL);
        List<String> ids = ps.out.lines().map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (!ids.isEmpty()) {
            List<String> argv = new ArrayList<>(List.of("rm", "-f"));
            argv.addAll(ids);
            docker(argv.toArray(String[]::new));
        }
    }

    /** Removes the test containers, then every image carrying the test label (the base image too). */
    static void removeTestImages() throws IOException {
        for (int attempt = 0; attempt < 5; attempt++) {
            removeTestContainers();
            Result images = docker("images", "-q", "--filter", "label=" + TEST_LABEL);
            List<String> ids = images.out.lines().map(String::trim).filter(s -> !s.isEmpty()).distinct().toList();
            if (ids.isEmpty()) {
                return;
            }
            for (String id : ids) {
                Result r = docker("rmi", "-f", id);
                if (r.code != 0) {
                    System.err.println("docker rmi -f " + id + ": " + r.out);
                }
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new AssertionError("images labelled " + TEST_LABEL + " are left: "
                + docker("images", "--filter", "label=" + TEST_LABEL).out);
    }

    record Result(int code, String out) {
    }

    static Result docker(String... args) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add("docker");
        argv.addAll(List.of(args));
        return run(argv);
    }

    static Result run(List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(argv + " did not end within 120 s");
            }
            return new Result(p.exitValue(), out.trim());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
