package dev.berth.core.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.Endpoint;
import dev.berth.api.ExitInfo;
import dev.berth.api.HealthCheck;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.Resources;
import dev.berth.api.Routing;
import dev.berth.api.StateStoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStateStoreTest {
    @TempDir
    Path dir;

    private static AppSpec spec() {
        return AppSpec.builder("web").command("node", "server.js").env("PORT", AppSpec.RANDOM_PORT)
                .instances(Instances.ALL).resources(Resources.builder().cpu(0.5).load(1).build())
                .routing(Routing.of("web.example.com")).healthCheck(HealthCheck.http("/health")).build();
    }

    @Test
    void appsAndInstancesRoundTrip() {
        InstanceRecord rec = new InstanceRecord("web-1", "web", "r2", "local", InstanceState.HEALTHY,
                new Endpoint("127.0.0.1", 8123), "4242", 3, Instant.parse("2026-11-21T10:00:00Z"),
                new ExitInfo(137, Instant.parse("2026-11-21T09:59:00Z"), "killed by signal 9"));
        try (FileStateStore store = FileStateStore.open(dir)) {
            store.saveApp(new AppRecord(spec(), "r2", false));
            store.saveInstances(List.of(rec));
        }
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThat(store.loadApps()).containsOnlyKeys("web");
            assertThat(store.loadApps().get("web")).isEqualTo(new AppRecord(spec(), "r2", false));
            assertThat(store.loadInstances()).containsExactly(rec);
            store.deleteApp("web");
            assertThat(store.loadApps()).isEmpty();
        }
        assertThat(dir.resolve("apps")).isEmptyDirectory();
    }

    @Test
    void aCorruptFileNamesItselfAndIsNeverReadAsEmpty() throws IOException {
        try (FileStateStore store = FileStateStore.open(dir)) {
            store.saveInstances(List.of());
        }
        Files.writeString(dir.resolve("instances.json"), "{\"format\": 1, \"instances\": [ {\"id\": ");
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThatThrownBy(store::loadInstances).isInstanceOf(StateStoreException.class)
                    .hasMessageContaining(dir.resolve("instances.json").toString()).hasMessageContaining("corrupt");
        }
        Files.writeString(dir.resolve("apps/web.json"), "{\"format\": 1, \"name\": \"web\", \"release\": \"r1\", "
                + "\"spec\": {\"instances\": -4}}");
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThatThrownBy(store::loadApps).isInstanceOf(StateStoreException.class)
                    .hasMessageContaining("apps/web.json").hasMessageContaining("instances");
        }
    }

    @Test
    void twoStoresCannotShareADir() {
        try (FileStateStore first = FileStateStore.open(dir)) {
            assertThatThrownBy(() -> FileStateStore.open(dir)).isInstanceOf(StateStoreException.class)
                    .hasMessageContaining(dir.toString());
        }
        FileStateStore.open(dir).close();
    }

    @Test
    void writesLeaveNoTemporaryFilesBehind() throws IOException {
        try (FileStateStore store = FileStateStore.open(dir)) {
            for (int i = 0; i < 20; i++) {
                store.saveApp(new AppRecord(spec(), "r" + i, i % 2 == 0));
            }
        }
        try (var files = Files.list(dir.resolve("apps"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("web.json");
        }
    }
}
