package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's example runs, and the next platform on its state finds the app at 5 instances. */
class EmbeddingExampleIT {
    @TempDir
    Path dir;

    @Test
    void theReadmeExampleRunsAndItsAppKeepsRunning() {
        EmbeddingExample.run(dir);

        try (Platform next = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(4).memoryMb(8192).build()))
                .backend(ProcessBackend.builder().baseDir(dir.resolve("instances")).build())
                .stateDir(dir.resolve("platform"))
                .build()) {
            await().atMost(Duration.ofSeconds(120)).until(() -> next.instances("web").stream()
                    .filter(i -> i.record().state() == InstanceState.HEALTHY).count() == 5);
            List<InstanceRecord> records = next.instances("web").stream().map(i -> i.record()).toList();
            assertThat(records).extracting(InstanceRecord::id).containsExactlyInAnyOrder("web-1", "web-2", "web-3", "web-4", "web-5");
            next.stopAll(Duration.ofSeconds(60));
            assertThat(next.instances("web")).isEmpty();
        }
    }
}
