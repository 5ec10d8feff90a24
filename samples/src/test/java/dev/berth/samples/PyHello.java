package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The small Python HTTP app of {@code zero-fail/hello.py} (a Mako-style app: {@code PORT} from
 * {@code RANDOM_PORT}, no health check needed, answers like {@link HelloApp}), and the argv that
 * starts it after a delay, as a slow-starting app does.
 */
final class PyHello {
    /** Debian's python3 (not a pyenv shim, whose start costs a shell and more). */
    static final String PYTHON = "/usr/bin/python3";

    /** Sleeps $1 seconds, then execs python on the script $0: a constant script, data as arguments. */
    private static final String DELAYED = "sleep \"$1\"; exec " + PYTHON + " \"$0\"";

    private PyHello() {
    }

    /** The script, answering {@code version} (empty: the instance's release name). */
    static String source(String version) throws IOException {
        assertThat(Path.of(PYTHON)).as("python3 is needed by this test (Debian's python3 package)").isExecutable();
        try (InputStream in = PyHello.class.getResourceAsStream("/zero-fail/hello.py")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("@VERSION@", version);
        }
    }

    /** Writes the script answering its release name into {@code dir}; returns its path. */
    static Path write(Path dir) throws IOException {
        Path script = Files.createDirectories(dir).resolve("hello.py");
        Files.writeString(script, source(""));
        return script;
    }

    /** {@code sh -c 'sleep DELAY; exec python3 SCRIPT'}: the app listens only after {@code delay} seconds. */
    static List<String> command(Path script, String delay) {
        return List.of("/bin/sh", "-c", DELAYED, script.toString(), delay);
    }

    /** The same for a script {@code script} relative to the working directory (a pushed release). */
    static List<String> command(String script, String delay) {
        return List.of("/bin/sh", "-c", DELAYED, script, delay);
    }
}
