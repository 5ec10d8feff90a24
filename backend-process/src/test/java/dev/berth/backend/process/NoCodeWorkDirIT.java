package dev.berth.backend.process;

import static dev.berth.backend.process.Kit.req;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.AppSpec;
import dev.berth.spi.RunningInstance;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No file of Berth's is reachable from an app without code: a {@code python3 -m http.server} app
 * (it serves its working directory) cannot list or fetch {@code instance.properties} (the resolved
 * env, secrets included) nor the output log, by name or with {@code ..}.
 */
class NoCodeWorkDirIT {
    @TempDir
    Path base;

    @AfterEach
    void stop() {
        Kit.stopAll(base);
    }

    @Test
    void aFileServerWithoutCodeSeesNoFileOfBerths() throws Exception {
        try (ProcessBackend backend = Kit.builder(base).build()) {
            AppSpec spec = AppSpec.builder("files")
                    .command("/bin/sh", "-c", "exec python3 -m http.server \"$PORT\" --bind 127.0.0.1")
                    .env("PORT", AppSpec.RANDOM_PORT).env("API_TOKEN", "s3cr3t-token-value").build();
            RunningInstance i = backend.start(req("files-1", spec));
            Path instanceDir = base.resolve(Kit.NODE).resolve("files").resolve("instances").resolve("files-1");
            assertThat(instanceDir.resolve(InstanceFile.NAME)).exists();
            assertThat(backend.console().describe("files-1").get("working.dir"))
                    .isEqualTo(instanceDir.resolve("work").toString());

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            String root = "http://127.0.0.1:" + i.endpoint().port();
            HttpResponse<String> listing = Kit.waiting().ignoreExceptions().until(
                    () -> http.send(HttpRequest.newBuilder(URI.create(root + "/")).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.ofString()), r -> r.statusCode() == 200);
            assertThat(listing.body()).contains("Directory listing").doesNotContain(InstanceFile.NAME)
                    .doesNotContain("output.log").doesNotContain("s3cr3t");
            for (String path : new String[] {"/" + InstanceFile.NAME, "/output.log", "/../" + InstanceFile.NAME,
                    "/%2e%2e/" + InstanceFile.NAME}) {
                String answer = raw(i.endpoint().port(), path);
                assertThat(answer).as(path).doesNotStartWith("HTTP/1.0 200").doesNotContain("s3cr3t")
                        .doesNotContain("API_TOKEN");
            }
        }
    }

    /** One request with the path sent as is (no client-side normalization of {@code ..}). */
    private static String raw(int port, String path) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readNBytes(65536), StandardCharsets.UTF_8);
        }
    }
}
