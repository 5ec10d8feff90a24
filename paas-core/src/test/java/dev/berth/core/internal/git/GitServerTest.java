package dev.berth.core.internal.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.BerthException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server over raw HTTP on loopback: authentication, URL checks, bind errors. No git CLI. */
class GitServerTest {
    @TempDir
    Path tmp;
    GitRepositories repos;
    GitServer server;

    @BeforeEach
    void setUp() {
        repos = new GitRepositories(tmp.resolve("repos"));
        server = GitServer.builder(repos).password("shortfin").build().start();
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    @Test
    void everyRequestWithoutTheRightPasswordIsRefusedWithAChallenge() throws Exception {
        for (String auth : new String[] {null, basic("git:wrong"), basic("git:"), basic("shortfin:"), "Bearer shortfin",
                "Basic shortfin"}) {
            for (String path : new String[] {"/beep/info/refs?service=git-receive-pack",
                    "/beep/info/refs?service=git-upload-pack", "/beep.git/info/refs?service=git-receive-pack"}) {
                String response = get(path, auth);
                assertThat(response).as(auth + " " + path).startsWith("HTTP/1.1 401 ")
                        .containsIgnoringCase("WWW-Authenticate: Basic realm=\"berth\"");
            }
            String post = request("POST", "/beep/git-receive-pack", auth, "application/x-git-receive-pack-request");
            assertThat(post).startsWith("HTTP/1.1 401 ");
        }
        assertThat(repos.root()).doesNotExist();
    }

    @Test
    void anyUserNameIsAcceptedWithThePassword() throws Exception {
        assertThat(get("/beep/info/refs?service=git-receive-pack", basic("git:shortfin"))).startsWith("HTTP/1.1 200 ");
        assertThat(get("/beep.git/info/refs?service=git-receive-pack", basic("deployer:shortfin")))
                .startsWith("HTTP/1.1 200 ");
        // The ref advertisement of a push creates the (empty) repository: after authentication only.
        assertThat(repos.list()).containsExactly("beep");
    }

    @Test
    void aFetchOfAnAppNeverPushedIsNotFoundAndCreatesNothing() throws Exception {
        assertThat(get("/beep/info/refs?service=git-upload-pack", basic("git:shortfin"))).startsWith("HTTP/1.1 404 ");
        assertThat(repos.root()).doesNotExist();
    }

    @Test
    void badNamesAndTraversalAreRefusedAndCreateNothing() throws Exception {
        String auth = basic("git:shortfin");
        for (String path : new String[] {"/../x", "/%2e%2e/x", "/a/../../x", "/..%2fx", "/Bad_Name", "/a;b", "/a%3bb",
                "/a/b", "/.git", "/-x", "/x%00y", "//x", "/x.git.git", "/" + "a".repeat(64)}) {
            String response = get(path + "/info/refs?service=git-receive-pack", auth);
            // Jetty refuses ambiguous paths (400); the resolver answers git with an ERR line that git prints.
            if (response.startsWith("HTTP/1.1 200 ")) {
                assertThat(response).as(path).contains("ERR '").contains("is not an app's repository");
            } else {
                assertThat(response.substring(0, 12)).as(path + " -> " + response).isEqualTo("HTTP/1.1 400");
            }
            // Not a ref advertisement: the other endpoints get 404 or 400.
            String post = request("POST", path + "/git-receive-pack", auth, "application/x-git-receive-pack-request");
            assertThat(post.substring(0, 12)).as(path + " -> " + post).isIn("HTTP/1.1 400", "HTTP/1.1 404");
        }
        assertThat(tmp.resolve("x")).doesNotExist();
        assertThat(repos.list()).isEmpty();
        if (repos.root().toFile().exists()) {
            assertThat(repos.root()).isEmptyDirectory();
        }
    }

    @Test
    void dumbHttpIsNotServed() throws Exception {
        get("/beep/info/refs?service=git-receive-pack", basic("git:shortfin"));
        assertThat(get("/beep/info/refs", basic("git:shortfin"))).startsWith("HTTP/1.1 406 ");
        assertThat(get("/beep/HEAD", basic("git:shortfin"))).startsWith("HTTP/1.1 404 ");
    }

    @Test
    void aTakenPortIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            GitServer second = GitServer.builder(repos).password("x").port(taken.getLocalPort()).build();
            assertThatThrownBy(second::start).isInstanceOf(BerthException.class)
                    .hasMessageContaining("git server: cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .hasMessageContaining("already in use")
                    .hasMessageContaining("choose another port (0 picks a free one)");
            assertThatThrownBy(second::port).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void portZeroPicksAFreePortAndTheUrlHasNoPassword() {
        assertThat(server.port()).isBetween(1, 65535);
        assertThat(server.url("beep").toString()).isEqualTo("http://127.0.0.1:" + server.port() + "/beep");
        assertThat(server.toString()).doesNotContain("shortfin");
    }

    @Test
    void theBuilderChecksEachValue() {
        GitServer.Builder b = GitServer.builder(repos);
        assertThatThrownBy(() -> b.password("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty password is not allowed");
        assertThatThrownBy(() -> b.password(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("password is required");
        assertThatThrownBy(() -> b.port(65536)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("65536 is not allowed; give 0-65535");
        assertThatThrownBy(() -> b.bindAddress("127.0.0.1; rm")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.maxPushBytes(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(b.password("secret").toString()).doesNotContain("secret");
    }

    @Test
    void closeIsIdempotentAndStopsServing() throws Exception {
        int port = server.port();
        server.close();
        server.close();
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close()).isInstanceOf(IOException.class);
        assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
    }

    private String get(String path, String auth) throws IOException {
        return request("GET", path, auth, null);
    }

    /** Sends the request line exactly as given (no client-side normalization) and returns the head of the response. */
    private String request(String method, String path, String auth, String contentType) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setSoTimeout(10_000);
            StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Connection: close\r\n");
            if (auth != null) {
                req.append("Authorization: ").append(auth).append("\r\n");
            }
            if (contentType != null) {
                req.append("Content-Type: ").append(contentType).append("\r\nContent-Length: 0\r\n");
            }
            req.append("\r\n");
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            return response.length() > 2000 ? response.substring(0, 2000) : response;
        }
    }

    private static String basic(String userPass) {
        return "Basic " + Base64.getEncoder().encodeToString(userPass.getBytes(StandardCharsets.UTF_8));
    }

}
