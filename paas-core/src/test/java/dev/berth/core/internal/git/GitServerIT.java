package dev.berth.core.internal.git;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.BerthException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real git CLI (Debian's /usr/bin/git) pushing to and cloning from the server on loopback. */
class GitServerIT {
    private static final String PASSWORD = "shortfin";

    @TempDir
    Path tmp;
    GitRepositories repos;
    GitServer server;
    GitCli git;
    Path work;
    final List<List<String>> pushes = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        repos = new GitRepositories(tmp.resolve("repos"));
        server = GitServer.builder(repos).password(PASSWORD)
                .listener((app, branch, commit) -> pushes.add(List.of(app, branch, commit)))
                .build().start();
        git = new GitCli(Files.createDirectories(tmp.resolve("home")));
        work = Files.createDirectories(tmp.resolve("work"));
        git.run(work, "init", "-q").ok();
        Files.writeString(work.resolve("README.md"), "# beep\n");
        Files.createDirectories(work.resolve("bin"));
        Files.writeString(work.resolve("bin/start"), "#!/bin/sh\nexec python3 -m http.server \"$PORT\"\n");
        Files.setPosixFilePermissions(work.resolve("bin/start"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(work.resolve("src/static"));
        Files.writeString(work.resolve("src/static/index.html"), "<h1>beep</h1>\n");
        git.run(work, "add", "-A").ok();
        git.run(work, "commit", "-q", "-m", "first").ok();
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    private String url(String user, String password, String path) {
        String auth = user == null ? "" : user + (password == null ? "" : ":" + password) + "@";
        return "http://" + auth + "127.0.0.1:" + server.port() + path;
    }

    private String head(Path dir) throws Exception {
        return git.run(dir, "rev-parse", "HEAD").ok().output().trim();
    }

    @Test
    void pushCreatesTheRepositoryReportsEachPushAndClonesAndChecksOut() throws Exception {
        String first = head(work);
        git.run(work, "push", "-q", url("git", PASSWORD, "/beep"), "master").ok();
        assertThat(repos.exists("beep")).isTrue();
        assertThat(pushes).containsExactly(List.of("beep", "master", first));
        assertThat(repos.resolve("beep", "master")).contains(first);

        Files.writeString(work.resolve("README.md"), "# beep, again\n");
        git.run(work, "commit", "-q", "-am", "second").ok();
        String second = head(work);
        // The /APP.git form and any user name work too.
        git.run(work, "push", "-q", url("deployer", PASSWORD, "/beep.git"), "master").ok();
        assertThat(pushes).containsExactly(List.of("beep", "master", first), List.of("beep", "master", second));

        // A forced push (history rewritten) is accepted and reported.
        git.run(work, "commit", "-q", "--amend", "-m", "second, amended").ok();
        String amended = head(work);
        git.run(work, "push", "-q", "--force", url("git", PASSWORD, "/beep"), "master").ok();
        assertThat(pushes).last().isEqualTo(List.of("beep", "master", amended));

        Path clone = tmp.resolve("clone");
        git.run(tmp, "clone", "-q", url("git", PASSWORD, "/beep"), clone.toString()).ok();
        assertThat(head(clone)).isEqualTo(amended);
        assertThat(files(clone)).isEqualTo(files(work));

        Path release = repos.root().resolveSibling("releases/beep/" + amended);
        new ReleaseCheckout(repos).checkout("beep", amended, release);
        assertThat(files(release)).isEqualTo(files(work));
        assertThat(Files.isExecutable(release.resolve("bin/start"))).isTrue();
        assertThat(Files.isExecutable(release.resolve("README.md"))).isFalse();
        assertThat(repos.diskUsage("beep")).isPositive();
    }

    @Test
    void aLockFileLeftByAKilledServerIsRemovedWhenTheNextStartsAndPushesGoOn() throws Exception {
        git.run(work, "push", "-q", url("git", PASSWORD, "/beep"), "master").ok();
        server.close();
        // What a kill -9 in the middle of a ref update leaves behind, from before this JVM started.
        Path stale = repos.root().resolve("beep.git/refs/heads/master.lock");
        Path stalePacked = repos.root().resolve("beep.git/packed-refs.lock");
        for (Path lock : List.of(stale, stalePacked)) {
            Files.writeString(lock, "0000000000000000000000000000000000000000\n");
            Files.setLastModifiedTime(lock, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        }
        // A lock younger than this JVM may be a live update's: it stays.
        Path young = repos.root().resolve("beep.git/refs/heads/other.lock");
        Files.writeString(young, "0000000000000000000000000000000000000000\n");

        server = GitServer.builder(repos).password(PASSWORD)
                .listener((app, branch, commit) -> pushes.add(List.of(app, branch, commit)))
                .build().start();
        assertThat(stale).doesNotExist();
        assertThat(stalePacked).doesNotExist();
        assertThat(young).exists();
        Files.writeString(work.resolve("README.md"), "# beep, after the crash\n");
        git.run(work, "commit", "-q", "-am", "after").ok();
        git.run(work, "push", "-q", url("git", PASSWORD, "/beep"), "master").ok();
        assertThat(repos.resolve("beep", "master")).contains(head(work));
    }

    @Test
    void deletingABranchIsRefused() throws Exception {
        git.run(work, "push", "-q", url("git", PASSWORD, "/beep"), "master", "master:other").ok();
        assertThat(pushes).hasSize(2);
        GitCli.Result delete = git.run(work, "push", url("git", PASSWORD, "/beep"), ":other");
        assertThat(delete.exit()).isNotZero();
        assertThat(delete.output()).contains("other");
        assertThat(repos.resolve("beep", "other")).isPresent();
        assertThat(pushes).hasSize(2);
    }

    @Test
    void aWrongPasswordIsRefusedAndCreatesNothing() throws Exception {
        GitCli.Result push = git.run(work, "push", url("git", "wrong", "/beep"), "master");
        assertThat(push.exit()).isNotZero();
        assertThat(push.output()).contains("Authentication failed");
        GitCli.Result clone = git.run(tmp, "clone", url("git", "wrong", "/beep"), tmp.resolve("c").toString());
        assertThat(clone.exit()).isNotZero();
        assertThat(clone.output()).contains("Authentication failed");
        assertNothingCreated();
    }

    @Test
    void aMissingPasswordIsRefusedAndCreatesNothing() throws Exception {
        for (String u : new String[] {url(null, null, "/beep"), url("git", null, "/beep")}) {
            GitCli.Result push = git.run(work, "push", u, "master");
            assertThat(push.exit()).as(u).isNotZero();
            // git got 401 and would prompt; GIT_TERMINAL_PROMPT=0 makes it give up.
            assertThat(push.output()).as(u).contains("terminal prompts disabled");
        }
        assertNothingCreated();
    }

    @Test
    void badAppNamesAreRefusedAndCreateNothing() throws Exception {
        for (String path : new String[] {"/Bad_Name", "/a;b", "/a/b", "/-x", "/x.y", "/beep.git.git"}) {
            GitCli.Result push = git.run(work, "push", url("git", PASSWORD, path), "master");
            assertThat(push.exit()).as(path + ":\n" + push.output()).isNotZero();
            assertThat(push.output()).as(path).contains("fatal: remote error: '" + path.substring(1)
                    + "' is not an app's repository: the URL is http://HOST:PORT/APP");
        }
        assertNothingCreated();
    }

    @Test
    void dotSegmentsAreResolvedByGitBeforeTheServerSeesThem() throws Exception {
        // git (curl) removes dot segments (RFC 3986) and says it was redirected: "/../x" is the app "x",
        // inside the root like any other. The raw "/../x" never reaches the resolver (GitServerTest: 400).
        for (String path : new String[] {"/../x", "/a/../x"}) {
            GitCli.Result push = git.run(work, "push", url("git", PASSWORD, path), "master");
            assertThat(push.exit()).as(path + ":\n" + push.output()).isZero();
            assertThat(push.output()).as(path).contains("redirecting to http://127.0.0.1:" + server.port() + "/x/");
        }
        // Encoded dots are sent as they are, and Jetty refuses the ambiguous path.
        GitCli.Result encoded = git.run(work, "push", url("git", PASSWORD, "/%2e%2e/y"), "master");
        assertThat(encoded.exit()).isNotZero();
        assertThat(encoded.output()).contains("The requested URL returned error: 400");
        assertThat(repos.list()).containsExactly("x");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("repos", "home", "work");
        }
    }

    @Test
    void aFailingListenerIsShownToThePusherAndTheBranchStays() throws Exception {
        GitRepositories other = new GitRepositories(tmp.resolve("other"));
        try (GitServer failing = GitServer.builder(other).password(PASSWORD).listener((app, branch, commit) -> {
            throw new BerthException("app '" + app + "': the deploy queue is full");
        }).build().start()) {
            GitCli.Result push = git.run(work, "push",
                    "http://git:" + PASSWORD + "@127.0.0.1:" + failing.port() + "/beep", "master");
            assertThat(push.exit()).as(push.output()).isZero();
            assertThat(push.output()).contains("remote: berth: branch 'master' was pushed, but the platform failed "
                    + "to take it: app 'beep': the deploy queue is full");
            assertThat(other.resolve("beep", "master")).contains(head(work));
        }
    }

    @Test
    void aPushNoAppFollowsIsLoggedAsOneWarningLineWithoutAStackTrace() throws Exception {
        GitRepositories other = new GitRepositories(tmp.resolve("unfollowed"));
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (GitServer refusing = GitServer.builder(other).password(PASSWORD).listener((app, branch, commit) -> {
            throw new BerthException("no app follows repository '" + app + "' yet; declare one and it will run " + commit);
        }).build().start()) {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            GitCli.Result push;
            try {
                push = git.run(work, "push", "http://git:" + PASSWORD + "@127.0.0.1:" + refusing.port() + "/beep", "master");
            } finally {
                System.setErr(original);
            }
            assertThat(push.exit()).as(push.output()).isZero();
            assertThat(push.output()).contains("remote: berth: branch 'master' was pushed, but the platform failed "
                    + "to take it: no app follows repository 'beep' yet");
        }
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.contains("PushReceivePackFactory") || l.startsWith("\tat ") || l.contains("Exception")).toList();
        assertThat(lines).as(String.join("\n", lines)).hasSize(2);
        assertThat(lines.get(0)).contains("INFO").contains("moves branch 'master'");
        assertThat(lines.get(1)).contains("WARN").doesNotContain("ERROR")
                .contains("app 'beep': push of branch 'master' at " + head(work) + " was stored but not deployed: "
                        + "no app follows repository 'beep' yet");
    }

    @Test
    void neitherThePasswordNorTheHeaderIsLogged() throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            git.run(work, "push", url("git", "hunter2-guess", "/beep"), "master");
            git.run(work, "push", url("shortfin", "shortfin2", "/beep"), "master");
            git.run(work, "push", url("git", PASSWORD, "/beep"), "master").ok();
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("wrong password from 127.0.0.1").contains("moves branch 'master'")
                .doesNotContain(PASSWORD).doesNotContain("hunter2").doesNotContainIgnoringCase("authorization")
                .doesNotContain(Base64.getEncoder().encodeToString(("git:" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
    }

    private void assertNothingCreated() throws Exception {
        assertThat(pushes).isEmpty();
        if (Files.exists(repos.root())) {
            assertThat(repos.root()).isEmptyDirectory();
        }
    }

    /** Every file and link under dir (but .git) with its content and executable bit. */
    private static Map<String, String> files(Path dir) throws Exception {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                String rel = dir.relativize(p).toString();
                if (rel.equals(".git") || rel.startsWith(".git/") || Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                files.put(rel, (Files.isExecutable(p) ? "x " : "- ") + Files.readString(p));
            }
        }
        return files;
    }
}
