package dev.berth.core.internal.git;

import static dev.berth.core.internal.git.TestTrees.Entry.executable;
import static dev.berth.core.internal.git.TestTrees.Entry.file;
import static dev.berth.core.internal.git.TestTrees.Entry.link;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.BerthException;
import dev.berth.api.NotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReleaseCheckoutTest {
    @TempDir
    Path tmp;
    GitRepositories repos;
    ReleaseCheckout checkout;
    Path releases;

    @BeforeEach
    void setUp() {
        repos = new GitRepositories(tmp.resolve("repos"));
        checkout = new ReleaseCheckout(repos);
        releases = tmp.resolve("releases");
    }

    private String commit(Map<String, TestTrees.Entry> entries) throws Exception {
        try (Repository repo = repos.openOrCreate("web")) {
            return TestTrees.commit(repo, "main", entries);
        }
    }

    @Test
    void writesFilesWithModesLinksInsideAndSkipsSubmodules() throws Exception {
        Map<String, TestTrees.Entry> e = new LinkedHashMap<>();
        e.put("README.md", file("hello\n"));
        e.put("bin/start", executable("#!/bin/sh\necho hi\n"));
        e.put("src/main/app.txt", file("app"));
        e.put("current", link("src/main"));
        e.put("src/readme", link("../README.md"));
        e.put("dangling", link("not-there-yet"));
        e.put("vendor/lib", TestTrees.Entry.submodule());
        String id = commit(e);

        Path out = checkout.checkout("web", id.substring(0, 10), releases.resolve(id));

        assertThat(out).isEqualTo(releases.resolve(id));
        assertThat(Files.readString(out.resolve("README.md"))).isEqualTo("hello\n");
        assertThat(Files.readString(out.resolve("bin/start"))).isEqualTo("#!/bin/sh\necho hi\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("bin/start"))))
                .isEqualTo("rwxr-xr-x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("README.md"))))
                .isEqualTo("rw-r--r--");
        assertThat(Files.readString(out.resolve("src/main/app.txt"))).isEqualTo("app");
        assertThat(Files.readSymbolicLink(out.resolve("current"))).isEqualTo(Path.of("src/main"));
        assertThat(Files.readString(out.resolve("current/app.txt"))).isEqualTo("app");
        assertThat(Files.readString(out.resolve("src/readme"))).isEqualTo("hello\n");
        assertThat(Files.isSymbolicLink(out.resolve("dangling"))).isTrue();
        assertThat(out.resolve("vendor/lib")).doesNotExist();
        assertThat(onlyEntry(releases)).isEqualTo(out);
        assertThat(DiskUsage.of(out)).isEqualTo(6 + 18 + 3 + "src/main".length() + "../README.md".length()
                + "not-there-yet".length());
    }

    @Test
    void anExistingReleaseIsLeftAsItIs() throws Exception {
        String id = commit(Map.of("a", file("1")));
        Path out = checkout.checkout("web", id, releases.resolve("r1"));
        Files.writeString(out.resolve("marker"), "x");
        assertThat(checkout.checkout("web", id, releases.resolve("r1"))).isEqualTo(out);
        assertThat(out.resolve("marker")).exists();
    }

    @Test
    void aLinkOutsideTheReleaseFailsAndLeavesNothing() throws Exception {
        String id = commit(Map.of("a.txt", file("a"), "conf/evil", link("../../../etc/passwd")));
        assertThatThrownBy(() -> checkout.checkout("web", id, releases.resolve(id)))
                .isInstanceOf(BerthException.class)
                .hasMessageContaining("app 'web' commit " + id)
                .hasMessageContaining("'conf/evil' points to '../../../etc/passwd', outside the release");
        assertThat(releases).isEmptyDirectory();
    }

    @Test
    void anAbsoluteLinkFails() throws Exception {
        String id = commit(Map.of("etc", link("/etc")));
        assertThatThrownBy(() -> checkout.checkout("web", id, releases.resolve(id)))
                .isInstanceOf(BerthException.class).hasMessageContaining("'etc' points to '/etc'");
        assertThat(releases).isEmptyDirectory();
    }

    @Test
    void aLinkThatEscapesThroughAnotherLinkFails() throws Exception {
        // Each text stays inside (b's "a/.." is the root lexically), but a -> . makes b the parent.
        String id = commit(Map.of("a", link("."), "b", link("a/..")));
        assertThatThrownBy(() -> checkout.checkout("web", id, releases.resolve(id)))
                .isInstanceOf(BerthException.class).hasMessageContaining("'b' points to 'a/..'");
        assertThat(releases).isEmptyDirectory();
    }

    @Test
    void unsafeTreePathsFail() throws Exception {
        for (String bad : new String[] {"../escape", "x/../../escape", ".git/config", "a/.GIT/hooks/x"}) {
            String id = commit(Map.of(bad, file("x")));
            assertThatThrownBy(() -> checkout.checkout("web", id, releases.resolve(id)))
                    .as(bad).isInstanceOf(BerthException.class).hasMessageContaining("unsafe path");
            assertThat(releases).isEmptyDirectory();
        }
        assertThat(tmp.resolve("escape")).doesNotExist();
    }

    @Test
    void anUnknownCommitOrAppIsNotFound() throws Exception {
        commit(Map.of("a", file("1")));
        assertThatThrownBy(() -> checkout.checkout("web", "0000000000000000000000000000000000000000", releases.resolve("x")))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("no commit 0000000");
        assertThatThrownBy(() -> checkout.checkout("other", "abcdef1", releases.resolve("x")))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("app 'other' has no git repository");
        assertThat(releases.resolve("x")).doesNotExist();
    }

    @Test
    void diskUsageCountsFilesAndLinksNotFollowingThem() throws Exception {
        Path d = Files.createDirectories(tmp.resolve("du/sub"));
        Files.write(d.resolve("a"), new byte[1000]);
        Files.write(tmp.resolve("du/b"), new byte[24]);
        Files.createSymbolicLink(tmp.resolve("du/big"), Path.of("/usr/bin"));
        assertThat(DiskUsage.of(tmp.resolve("du"))).isEqualTo(1000 + 24 + "/usr/bin".length());
    }

    private static Path onlyEntry(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.reduce((a, b) -> {
                throw new AssertionError("more than one entry in " + dir + ": " + a + ", " + b);
            }).orElseThrow();
        }
    }
}
