package dev.berth.core.internal.git;

import static dev.berth.core.internal.git.TestTrees.Entry.file;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.InvalidSpecException;
import dev.berth.api.NotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GitRepositoriesTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"a", "beep", "web-2", "0", "a23456789012345678901234567890123456789012345678901234567890123"})
    void dnsLabelsAreAppNames(String name) {
        assertThat(GitRepositories.checkName(name)).isEqualTo(name);
        assertThat(new GitRepositories(tmp).directory(name)).isEqualTo(tmp.resolve(name + ".git"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-a", "a-", "Beep", "Bad_Name", "a;b", "a.b", "beep.git", "..", "../x", "a/b", "a b",
            "a\nb", "a234567890123456789012345678901234567890123456789012345678901234"})
    void everythingElseIsRefusedBeforeTouchingTheFileSystem(String name) {
        GitRepositories repos = new GitRepositories(tmp.resolve("repos"));
        assertThatThrownBy(() -> repos.openOrCreate(name)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("app: '").hasMessageContaining("a DNS label, 1-63 of a-z, 0-9 and '-'");
        assertThatThrownBy(() -> repos.exists(name)).isInstanceOf(InvalidSpecException.class);
        assertThat(tmp.resolve("repos")).doesNotExist();
    }

    @Test
    void nullIsRefused() {
        assertThatThrownBy(() -> GitRepositories.checkName(null)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("app: nothing is not allowed");
    }

    @Test
    void createsOnDemandResolvesRefsAndCommits() throws Exception {
        GitRepositories repos = new GitRepositories(tmp.resolve("repos"));
        assertThat(repos.exists("web")).isFalse();
        assertThat(repos.list()).isEmpty();
        assertThat(repos.diskUsage("web")).isZero();
        assertThatThrownBy(() -> repos.resolve("web", "main")).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("app 'web' has no git repository");

        String c1;
        String c2;
        try (Repository repo = repos.openOrCreate("web")) {
            assertThat(repo.isBare()).isTrue();
            assertThat(repo.getFullBranch()).isEqualTo(Constants.R_HEADS + "main");
            c1 = TestTrees.commit(repo, "main", Map.of("a", file("1")));
            c2 = TestTrees.commit(repo, "feature/x", Map.of("a", file("2")));
        }
        assertThat(repos.exists("web")).isTrue();
        assertThat(repos.list()).containsExactly("web");
        assertThat(repos.diskUsage("web")).isPositive();
        try (var s = Files.list(tmp.resolve("repos"))) {
            assertThat(s).containsExactly(tmp.resolve("repos/web.git"));
        }

        assertThat(repos.resolve("web", "main")).contains(c1);
        assertThat(repos.resolve("web", "refs/heads/main")).contains(c1);
        assertThat(repos.resolve("web", "HEAD")).contains(c1);
        assertThat(repos.resolve("web", "feature/x")).contains(c2);
        assertThat(repos.resolve("web", "nope")).isEmpty();
        assertThatThrownBy(() -> repos.resolve("web", "a..b")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("app 'web': ref: 'a..b' is not allowed");

        assertThat(repos.findCommit("web", c1)).contains(c1);
        assertThat(repos.findCommit("web", c2.substring(0, 8))).contains(c2);
        assertThat(repos.findCommit("web", "0000000")).isEmpty();
        assertThat(repos.hasCommit("web", c1)).isTrue();
        assertThat(repos.hasCommit("other", c1)).isFalse();
        assertThatThrownBy(() -> repos.findCommit("web", "HEAD")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("7-40 lowercase hex digits");

        // Opening again (as a second push would) reuses the repository.
        try (Repository repo = repos.openOrCreate("web")) {
            assertThat(repo.resolve("main").name()).isEqualTo(c1);
        }
    }
}
