package dev.berth.backend.process;

import static dev.berth.backend.process.Kit.req;
import static dev.berth.backend.process.Kit.waiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.berth.api.AppSpec;
import dev.berth.api.BackendException;

/**
 * Issue 12 item 1, as root: an app running as {@code nobody} that swaps its {@code workingDir} for a
 * symlink to a root-only directory between two starts must not get that directory, nor read it.
 */
class WorkDirSymlinkIT {
    @TempDir
    Path base;
    ProcessBackend backend;
    final Kit.Exits exits = new Kit.Exits();

    @BeforeEach
    void open() {
        backend = Kit.builder(base).build();
        backend.onExit(exits);
    }

    @AfterEach
    void cleanUp() {
        backend.close();
        Kit.stopAll(base);
    }

    @Test
    void aWorkingDirSwappedForASymlinkIsNeitherChownedNorEntered() throws Exception {
        assertThat(Files.getOwner(Path.of("/proc/self")).getName()).as("this test needs root").isEqualTo("root");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path victim = Files.createDirectory(base.resolve("victim"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Files.writeString(victim.resolve("secret"), "the-secret-42\n");
        String script = "case \"$(pwd -P)\" in " + victim + ") cat secret; exec sleep 1000;; esac; "
                + "cd .. && rmdir a && ln -s " + victim + " a; echo swapped; exit 1";
        AppSpec spec = Kit.sh("evil", script).user("nobody").workingDir("a").build();

        backend.start(req("evil-1", spec));
        waiting().until(() -> !exits.of("evil-1").isEmpty());
        Path work = base.resolve("node1/evil/instances/evil-1/work");
        assertThat(Files.isSymbolicLink(work.resolve("a"))).as("the app swapped its dir for a link").isTrue();

        assertThatThrownBy(() -> backend.start(req("evil-1", spec))).isInstanceOf(BackendException.class)
                .hasMessageContaining("workingDir 'a'").hasMessageContaining("outside");

        assertThat(Files.getOwner(victim, LinkOption.NOFOLLOW_LINKS).getName()).isEqualTo("root");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(victim))).isEqualTo("rwx------");
        assertThat(Files.getOwner(victim.resolve("secret")).getName()).isEqualTo("root");
        // give an app that would have started there the time to print the secret
        Thread.sleep(1000);
        assertThat(Files.readString(base.resolve("node1/evil/instances/evil-1/output.log")))
                .contains("swapped").doesNotContain("the-secret-42");
        assertThat(backend.list()).isEmpty();
    }

    @Test
    void theWorkDirAndWorkingDirAreCreatedAsTheUserAndStayInside() throws Exception {
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        backend.start(req("ok-1", Kit.sh("ok", "pwd -P; exec sleep 300").user("nobody").workingDir("x/y").build()));
        Path instance = base.resolve("node1/ok/instances/ok-1");
        waiting().until(() -> !backend.console().logs("ok-1", 1).isEmpty());
        assertThat(backend.console().logs("ok-1", 1)).containsExactly(instance.resolve("work/x/y").toRealPath().toString());
        for (Path p : new Path[] {instance.resolve("work"), instance.resolve("work/x"), instance.resolve("work/x/y")}) {
            assertThat(Files.getOwner(p, LinkOption.NOFOLLOW_LINKS).getName()).as(p.toString()).isEqualTo("nobody");
        }
        assertThat(Files.getOwner(instance).getName()).isEqualTo("root");
        backend.stop("ok-1", Duration.ofSeconds(5));
    }
}
