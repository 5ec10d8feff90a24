// An app's own files and planted links against a real OpenSSH host: Berth's files stay out of its reach by accident.
package dev.berth.backend.ssh;

import static dev.berth.backend.ssh.Kit.req;
import static dev.berth.backend.ssh.Kit.waiting;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.berth.spi.RunningInstance;

/**
 * Apps without a source run in {@code instances/<id>/work}, not in the instance dir that holds
 * Berth's pid, meta, env and output files; the scripts neither read nor write through a link planted
 * where they keep those files.
 */
class AppFilesIT {
    private static Kit kit;

    @BeforeAll
    static void hosts() throws Exception {
        kit = Kit.withHosts(52, 1);
    }

    @AfterAll
    static void removeHosts() {
        if (kit != null) {
            kit.close();
        }
    }

    @Test
    void anAppWritingFilesNamedLikeBerthsInItsDirectoryIsStillTrackedAndStopped() throws Exception {
        try (SshBackend backend = kit.backend().build()) {
            // files an app may well write in its working directory: a pid file, a meta file, its own log
            RunningInstance i = backend.start(req("own-1", "h52", Kit.sh("own", "echo 1 1 1 1 x > pid; echo junk > meta; "
                    + "echo mine > output.log; : > env.sh; echo ready; exec sleep 600").build()));
            Path dir = kit.netns("h52").baseDir.resolve("instances/own-1");
            Path cmdline = Path.of("/proc", i.handle().substring(0, i.handle().indexOf(':')), "cmdline");
            waiting().until(() -> Files.readString(cmdline).startsWith("sleep"));
            assertThat(backend.checkHosts().get(0).running()).filteredOn(r -> r.instanceId().equals("own-1"))
                    .extracting(RunningInstance::handle).containsExactly(i.handle());
            assertThat(backend.console().describe("own-1")).containsEntry("working.dir", dir.resolve("work").toString());
            assertThat(dir.resolve("work/env.sh")).isEmptyFile();
            assertThat(backend.console().logs("own-1", 5)).containsExactly("ready");
            assertThat(backend.console().exec("own-1", List.of("pwd"), Duration.ofSeconds(10)).output().trim())
                    .isEqualTo(dir.resolve("work").toString());
            backend.stop("own-1", Duration.ofSeconds(5));
            assertThat(Kit.processExists(i.handle())).isFalse();
        }
    }

    @Test
    void theEnvWithItsSecretsIsNeverWrittenThroughAPlantedLink() throws Exception {
        Path victim = kit.root.resolve("public.txt");
        Files.writeString(victim, "public\n");
        try (SshBackend backend = kit.backend().build()) {
            var app = Kit.sleeper("sec").env("SECRET", "hunter2").build();
            backend.start(req("sec-1", "h52", app));
            backend.stop("sec-1", Duration.ZERO);
            Path dir = kit.netns("h52").baseDir.resolve("instances/sec-1");
            Files.createSymbolicLink(dir.resolve(".env.tmp"), victim);
            backend.start(req("sec-1", "h52", app));
            assertThat(Files.readString(victim)).isEqualTo("public\n");
            assertThat(Files.isSymbolicLink(dir.resolve("env.sh"))).isFalse();
            assertThat(Files.readString(dir.resolve("env.sh"))).contains("SECRET=hunter2");
            backend.stop("sec-1", Duration.ZERO);
        }
    }

    @Test
    void rotationAndLogsDoNotFollowALinkPlantedInTheInstanceDir() throws Exception {
        Path victim = kit.root.resolve("victim.txt");
        Files.writeString(victim, "precious\n");
        try (SshBackend backend = kit.backend().heartbeat(Duration.ZERO).logMaxBytes(1024).build()) {
            backend.start(req("plant-1", "h52", Kit.sh("plant", "i=0; while [ $i -lt 500 ]; do echo \"line $i\"; "
                    + "i=$((i+1)); done; exec sleep 600").build()));
            Path dir = kit.netns("h52").baseDir.resolve("instances/plant-1");
            waiting().until(() -> backend.console().logs("plant-1", 1).equals(List.of("line 499")));
            Files.createSymbolicLink(dir.resolve("output.log.1"), victim);
            backend.rotateLogs();
            assertThat(Files.readString(victim)).isEqualTo("precious\n");
            assertThat(Files.isSymbolicLink(dir.resolve("output.log.1"))).isFalse();
            assertThat(Files.readString(dir.resolve("output.log.1"))).endsWith("line 499\n");

            Files.delete(dir.resolve("output.log.1"));
            Files.createSymbolicLink(dir.resolve("output.log.1"), victim);
            assertThat(backend.console().logs("plant-1", 10)).doesNotContain("precious");
            backend.stop("plant-1", Duration.ZERO);
        }
    }
}
