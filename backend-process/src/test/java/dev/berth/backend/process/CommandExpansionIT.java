// ${NAME} in a command's argv, expanded by the process backend for a real process: what it receives and where it listens.
package dev.berth.backend.process;

import static dev.berth.backend.process.Kit.req;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;
import dev.berth.spi.RunningInstance;

/** A Python process that listens on the port given as its argument and answers with its argv, one per line. */
class CommandExpansionIT {
    /** Prints its argv, then serves it on the port of its first argument (no shell anywhere). */
    private static final String ECHO_ARGV = String.join("\n",
            "import sys, http.server",
            "body = '\\n'.join(sys.argv[1:]).encode()",
            "print('argv:', sys.argv[1:], flush=True)",
            "class H(http.server.BaseHTTPRequestHandler):",
            "    def do_GET(self):",
            "        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers()",
            "        self.wfile.write(body)",
            "    def log_message(self, *a): pass",
            "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()");

    @TempDir
    Path base;
    ProcessBackend backend;

    @BeforeEach
    void open() {
        backend = Kit.builder(base).build();
    }

    @AfterEach
    void cleanUp() {
        backend.close();
        Kit.stopAll(base);
    }

    @Test
    void listensOnTheExpandedPortAndGetsEachArgumentWhole() throws Exception {
        AppSpec spec = AppSpec.builder("echo")
                .command("python3", "-c", ECHO_ARGV, "${PORT}", "--name=${BERTH_INSTANCE_ID}@${BERTH_NODE}",
                        "${GREETING}", "$${HOME}", "$PORT", "${BERTH_APP}/${BERTH_RELEASE}")
                .env("PORT", AppSpec.RANDOM_PORT)
                .env("GREETING", "hello world; $(touch pwned) ${PORT}")
                .build();

        RunningInstance started = backend.start(req("echo-1", spec));

        int port = started.endpoint().port();
        assertThat(port).isBetween(20000, 20999);
        String body = get(port);
        assertThat(body.split("\n", -1)).containsExactly(Integer.toString(port), "--name=echo-1@node1",
                "hello world; $(touch pwned) ${PORT}", "${HOME}", "$PORT", "echo/r1");
        assertThat(base.resolve("node1/echo/instances/echo-1/work/pwned")).doesNotExist(); // its working dir
        assertThat(backend.console().environment("echo-1")).containsEntry("PORT", Integer.toString(port));
        assertThat(Files.readAllLines(base.resolve("node1/echo/instances/echo-1/output.log")))
                .contains("argv: ['" + port + "', '--name=echo-1@node1', 'hello world; $(touch pwned) ${PORT}', "
                        + "'${HOME}', '$PORT', 'echo/r1']");
    }

    @Test
    void aCommandThatNamesAnUnknownVariableIsRefusedAndNothingStarts() {
        AppSpec spec = AppSpec.builder("typo").command("python3", "-m", "http.server", "${PROT}")
                .env("PORT", AppSpec.RANDOM_PORT).env("TOKEN", "s3cret").build();

        assertThatThrownBy(() -> backend.start(req("typo-1", spec)))
                .isInstanceOf(BackendException.class)
                .hasMessageContaining("typo-1")
                .hasMessageContaining("command[3]")
                .hasMessageContaining("PROT")
                .hasMessageNotContaining("s3cret");
        assertThat(backend.list()).isEmpty();
    }

    private static String get(int port) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                return r.body();
            } catch (java.io.IOException e) {
                last = e;
                Thread.sleep(50);
            }
        }
        throw new AssertionError("nothing answered on 127.0.0.1:" + port + " within 15 s", last);
    }
}
