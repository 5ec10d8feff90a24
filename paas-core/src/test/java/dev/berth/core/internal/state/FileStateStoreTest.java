package dev.berth.core.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.DeployRecord;
import dev.berth.api.Endpoint;
import dev.berth.api.ExitInfo;
import dev.berth.api.HealthCheck;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.Instances;
import dev.berth.api.Resources;
import dev.berth.api.Rollout;
import dev.berth.api.Routing;
import dev.berth.api.StateStoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FileStateStoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();

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
            store.saveInstance(rec);
        }
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThat(store.loadApps()).containsOnlyKeys("web");
            assertThat(store.loadApps().get("web")).isEqualTo(new AppRecord(spec(), "r2", false));
            assertThat(store.loadInstances()).containsExactly(rec);
            store.deleteApp("web");
            assertThat(store.loadApps()).isEmpty();
        }
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThat(store.loadApps()).isEmpty();
            assertThat(store.loadInstances()).containsExactly(rec);
        }
        assertThat(dir.resolve("apps")).doesNotExist();
    }

    @Test
    void aCorruptFileNamesItselfAndIsNeverReadAsEmpty() throws IOException {
        try (FileStateStore store = FileStateStore.open(dir)) {
            store.write(dev.berth.spi.StateChanges.builder().build());
        }
        Files.writeString(dir.resolve("instances.json"), "{\"format\": 1, \"instances\": [ {\"id\": ");
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThatThrownBy(store::loadInstances).isInstanceOf(StateStoreException.class)
                    .hasMessageContaining(dir.resolve("instances.json").toString()).hasMessageContaining("corrupt");
        }
        Files.createDirectories(dir.resolve("apps"));
        Files.writeString(dir.resolve("apps/web.json"), "{\"format\": 1, \"name\": \"web\", \"release\": \"r1\", "
                + "\"spec\": {\"instances\": -4}}");
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThatThrownBy(store::loadApps).isInstanceOf(StateStoreException.class)
                    .hasMessageContaining("apps/web.json").hasMessageContaining("instances");
        }
    }

    /** The sample app, with a rollout and history. */
    static AppRecord sampleApp() {
        AppSpec v2 = spec().toBuilder().env("V", "2").build();
        Instant t = Instant.parse("2026-11-21T10:00:00Z");
        return new AppRecord(v2, "r2-abc", false, new Rollout("r1-abc", spec(), t, t.plus(Duration.ofMinutes(5))),
                List.of(new DeployRecord("r1-abc", spec(), t.minusSeconds(60), t.minusSeconds(30), DeployRecord.Outcome.SUCCEEDED, ""),
                        new DeployRecord("r2-abc", v2, t, null, DeployRecord.Outcome.IN_PROGRESS, "")));
    }

    /** The sample instance record. */
    static InstanceRecord sampleInstance() {
        return new InstanceRecord("web-1", "web", "r2-abc", "local", InstanceState.HEALTHY,
                new Endpoint("127.0.0.1", 8123), "4242", 3, Instant.parse("2026-11-21T10:00:00Z"),
                new ExitInfo(137, Instant.parse("2026-11-21T09:59:00Z"), "killed by signal 9"));
    }

    /** The sample in the layout of earlier versions, whose errors these tests pin. */
    private void saveSample() throws IOException {
        StateDirs.writeLegacy(dir, List.of(sampleApp()), List.of(sampleInstance()));
    }

    /** Sets {@code path} (dot-separated; numbers index lists) of a state file to {@code value}, as JSON text. */
    private Path edit(String file, String path, String valueJson) throws IOException {
        Path f = dir.resolve(file);
        JsonNode root = JSON.readTree(f.toFile());
        String[] parts = path.split("\\.");
        JsonNode parent = root;
        for (int i = 0; i < parts.length - 1; i++) {
            parent = parts[i].matches("[0-9]+") ? parent.get(Integer.parseInt(parts[i])) : parent.get(parts[i]);
        }
        String last = parts[parts.length - 1];
        JsonNode value = JSON.readTree(valueJson);
        if (last.matches("[0-9]+")) {
            ((ArrayNode) parent).set(Integer.parseInt(last), value);
        } else {
            ((ObjectNode) parent).set(last, value);
        }
        Files.write(f, JSON.writeValueAsBytes(root));
        return f;
    }

    private void assertCorrupt(Path file, String... parts) {
        try (FileStateStore store = FileStateStore.open(dir)) {
            var thrown = assertThatThrownBy(() -> {
                store.loadApps();
                store.loadInstances();
            }).isInstanceOf(StateStoreException.class).hasMessageContaining("state file " + file + " is corrupt");
            for (String p : parts) {
                thrown.hasMessageContaining(p);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({
            "instances.json, instances.0.id, instances[0].id",
            "instances.json, instances.0.app, instances[0].app",
            "instances.json, instances.0.release, instances[0].release",
            "instances.json, instances.0.node, instances[0].node",
            "apps/web.json, release, release",
            "apps/web.json, rollout.fromRelease, rollout.fromRelease",
            "apps/web.json, history.0.release, history[0].release"})
    void anIdThatIsNoSafeNameFailsTheLoadNamingFileFieldAndValue(String file, String path, String field) throws IOException {
        saveSample();
        for (String bad : List.of("../../../../tmp/x", "", ".", "..", "a/b", "x\ny", "-rf", "a b", "x".repeat(129))) {
            Path f = edit(file, path, JSON.writeValueAsString(bad));
            assertCorrupt(f, "'" + field + "'", JSON.writeValueAsString(bad).length() > 60 ? "" : bad.replace("\n", "\\n"));
        }
    }

    @Test
    void theMessageNamesFileFieldValueAndWhatIsAllowed() throws IOException {
        saveSample();
        Path f = edit("instances.json", "instances.0.release", "\"../../../../tmp/x\"");
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThatThrownBy(store::loadInstances).isInstanceOf(StateStoreException.class).hasMessage("state file " + f
                    + " is corrupt: field 'instances[0].release' is \"../../../../tmp/x\": must be a release id: 1-128 of "
                    + "A-Z a-z 0-9 . _ -, starting with a letter or digit. Berth does not start from an empty state over "
                    + "it: repair the file or move it away.");
        }
        Files.writeString(f, "{\"format\": 1, \"instances\": " + "[".repeat(5000) + "]".repeat(5000) + "}");
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThatThrownBy(store::loadInstances).isInstanceOf(StateStoreException.class)
                    .hasMessageStartingWith("state file " + f + " is corrupt: it nests deeper than 64 levels");
        }
    }

    @Test
    void anInstanceHandleIsPlainText() throws IOException {
        saveSample();
        assertCorrupt(edit("instances.json", "instances.0.handle", "\"42\\n43\""), "'instances[0].handle'");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "instances.json | format | \"1\" | 'format'",
            "instances.json | format | 1.0 | 'format'",
            "apps/web.json | format | \"1\" | 'format'",
            "apps/web.json | stopped | \"yes\" | 'stopped'",
            "apps/web.json | stopped | 0 | 'stopped'",
            "apps/web.json | stopped | \"true\" | 'stopped'",
            "instances.json | instances.0.restarts | \"3\" | 'instances[0].restarts'",
            "instances.json | instances.0.restarts | 3.5 | 'instances[0].restarts'",
            "instances.json | instances.0.restarts | -1 | 'instances[0].restarts'",
            "instances.json | instances.0.endpoint.port | \"8123\" | 'instances[0].endpoint.port'",
            "instances.json | instances.0.endpoint.host | 127 | 'instances[0].endpoint.host'",
            "instances.json | instances.0.lastExit.code | \"137\" | 'instances[0].lastExit.code'",
            "instances.json | instances.0.handle | 4242 | 'instances[0].handle'",
            "instances.json | instances.0.state | \"healthy\" | 'instances[0].state'",
            "instances.json | instances.0.startedAt | 1700000000 | 'instances[0].startedAt'",
            "instances.json | instances.0.startedAt | \"+1000000000-01-01T00:00:00Z\" | 'instances[0].startedAt'",
            "apps/web.json | rollout.deadline | \"+1000000000-01-01T00:00:00Z\" | 'rollout.deadline'",
            "apps/web.json | rollout.deadline | \"2026-11-23T10:00:00Z\" | 'rollout.deadline'",
            "apps/web.json | history.0.outcome | \"succeeded\" | 'history[0].outcome'",
            "apps/web.json | history | {} | 'history'"})
    void typesAreStrictNothingIsCoerced(String file, String path, String json, String field) throws IOException {
        saveSample();
        assertCorrupt(edit(file, path, json), field);
    }

    @ParameterizedTest
    @CsvSource({"instances.json, instances", "apps/web.json, spec"})
    void aFileNested5000DeepIsRefusedNamingTheFile(String file, String field) throws IOException {
        saveSample();
        String deep = "[".repeat(5000) + "]".repeat(5000);
        Path f = edit(file, field, "1");
        String text = Files.readString(f).replace("\"" + field + "\":1", "\"" + field + "\":" + deep);
        assertThat(text).contains(deep);
        Files.writeString(f, text);
        assertCorrupt(f, "nest");
    }

    @Test
    void theSampleItselfLoads() throws IOException {
        saveSample();
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThat(store.loadApps().get("web").history()).hasSize(2);
            assertThat(store.loadInstances()).hasSize(1);
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
        try (FileStateStore store = FileStateStore.open(dir, 256)) { // compacts every few writes
            for (int i = 0; i < 20; i++) {
                store.saveApp(new AppRecord(spec(), "r" + i, i % 2 == 0));
            }
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).hasSize(3).contains("lock", "snapshot.json")
                    .anyMatch(name -> name.matches("journal-[1-9][0-9]*\\.log"));
        }
        try (FileStateStore store = FileStateStore.open(dir)) {
            assertThat(store.loadApps().get("web").release()).isEqualTo("r19");
        }
    }
}
