package dev.berth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.spi.Backend;
import dev.berth.api.BerthException;
import dev.berth.api.ExecResult;
import dev.berth.spi.InstanceConsole;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.spi.LaunchRequest;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.spi.RunningInstance;
import dev.berth.api.StateStoreException;
import dev.berth.core.internal.state.FileStateStore;
import dev.berth.core.internal.state.StateDirs;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A start that {@link PlatformBuilder#build()} refuses changes nothing: no state file, no process. */
class PlatformStartRefusalTest {
    @TempDir
    Path dir;
    private final RecordingBackend backend = new RecordingBackend();

    /**
     * A state dir holding app {@code web} and its instance {@code web-1}, which no longer runs: in
     * {@code snapshot.json}, then two more records in {@code journal-1.log}.
     */
    @BeforeEach
    void state() {
        AppSpec web = AppSpec.builder("web").command("sleep", "1000").build();
        try (FileStateStore store = FileStateStore.open(dir)) {
            store.saveApp(new AppRecord(web, "r1-abc", false));
            store.saveInstance(new InstanceRecord("web-1", "web", "r1-abc", "local", InstanceState.HEALTHY, null,
                    "4242", 0, Instant.parse("2026-11-21T10:00:00Z"), null));
            StateDirs.compact(store);
            store.saveInstance(new InstanceRecord("web-1", "web", "r1-abc", "local", InstanceState.HEALTHY, null,
                    "4242", 1, Instant.parse("2026-11-21T10:00:00Z"), null));
            store.saveInstance(new InstanceRecord("web-1", "web", "r1-abc", "local", InstanceState.HEALTHY, null,
                    "4242", 2, Instant.parse("2026-11-21T10:00:00Z"), null));
        }
    }

    private PlatformBuilder builder() {
        return Platform.builder().node(NodeSpec.of("local", Resources.of(4, 4096))).backend(backend).stateDir(dir);
    }

    /** Every file and directory under the state dir, files with their bytes. */
    private Map<String, String> snapshot() throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.toList()) {
                out.put(dir.relativize(p).toString(), Files.isDirectory(p) ? "<dir>" : new String(Files.readAllBytes(p),
                        java.nio.charset.StandardCharsets.ISO_8859_1));
            }
        }
        return out;
    }

    @Test
    void anAcceptedStartDoesActOnThisState() throws IOException {
        Map<String, String> before = snapshot();
        try (Platform p = builder().build()) {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> backend.calls.contains("start web-1"));
        }
        assertThat(snapshot()).isNotEqualTo(before); // web-1 was respawned and recorded: the refusals below are not vacuous
    }

    @Test
    void aStateIdThatIsNoSafeNameRefusesTheStartAndChangesNothing() throws IOException {
        Path snapshotFile = StateDirs.snapshot(dir);
        String text = Files.readString(snapshotFile);
        assertThat(text).contains("\"release\":\"r1-abc\",\"node\"");
        Files.writeString(snapshotFile, text.replace("\"release\":\"r1-abc\",\"node\"", "\"release\":\"../../../../tmp/x\",\"node\""));
        Map<String, String> before = snapshot();

        assertThatThrownBy(() -> builder().build()).isInstanceOf(StateStoreException.class)
                .hasMessageContaining(snapshotFile.toString()).hasMessageContaining("instances[0].release");

        assertThat(snapshot()).isEqualTo(before);
        assertThat(backend.calls).isEmpty();
    }

    @Test
    void aCorruptSnapshotRefusesTheStartAndChangesNothing() throws IOException {
        Files.writeString(StateDirs.snapshot(dir), "{\"format\": \"1\"}");
        Map<String, String> before = snapshot();

        RecordingRouter router = new RecordingRouter();
        assertThatThrownBy(() -> builder().router(router).build()).isInstanceOf(StateStoreException.class)
                .hasMessageContaining("'format'");

        assertThat(snapshot()).isEqualTo(before);
        assertThat(backend.calls).isEmpty();
        assertThat(backend.closed).as("the backend it was given, closed by the refused build").isTrue();
        assertThat(router.closed).as("and the router").isTrue();
        assertThat(router.applied).as("no table applied").isZero();
    }

    @Test
    void aCorruptJournalRecordFollowedByAnotherRefusesTheStartAndChangesNothing() throws IOException {
        Path journal = StateDirs.journal(dir, 1);
        byte[] bytes = Files.readAllBytes(journal);
        bytes[20] ^= 0x01; // in the first of its two records
        Files.write(journal, bytes);
        Map<String, String> before = snapshot();

        assertThatThrownBy(() -> builder().build()).isInstanceOf(StateStoreException.class)
                .hasMessageContaining(journal.toString()).hasMessageContaining("the record at byte 0");

        assertThat(snapshot()).isEqualTo(before);
        assertThat(backend.calls).isEmpty();
    }

    @Test
    void aStateDirOfTheEarlierLayoutIsNotMigratedByARefusedStart() throws IOException {
        Files.delete(StateDirs.snapshot(dir));
        Files.delete(StateDirs.journal(dir, 1));
        AppSpec web = AppSpec.builder("web").command("sleep", "1000").build();
        StateDirs.writeLegacy(dir, List.of(new AppRecord(web, "r1-abc", false)), List.of(new InstanceRecord("web-1", "web",
                "r1-abc", "local", InstanceState.HEALTHY, null, "4242", 0, Instant.parse("2026-11-21T10:00:00Z"), null)));
        Path instances = dir.resolve("instances.json");
        Files.writeString(instances, Files.readString(instances).replace("\"r1-abc\"", "\"../../../../tmp/x\""));
        Map<String, String> before = snapshot();

        assertThatThrownBy(() -> builder().build()).isInstanceOf(StateStoreException.class)
                .hasMessageContaining(instances.toString()).hasMessageContaining("instances[0].release");

        assertThat(snapshot()).isEqualTo(before);
        assertThat(backend.calls).isEmpty();
    }

    @Test
    void aStateDirInUseRefusesTheStartAndChangesNothing() throws IOException {
        Map<String, String> before = snapshot();
        try (FileStateStore holder = FileStateStore.open(dir)) {
            assertThatThrownBy(() -> builder().build()).isInstanceOf(StateStoreException.class)
                    .hasMessageContaining(dir.toString());
        }
        assertThat(snapshot()).isEqualTo(before);
        assertThat(backend.calls).isEmpty();
    }

    @Test
    void aTakenGitPortRefusesTheStartBeforeTheLoopActs() throws IOException {
        Map<String, String> before = snapshot();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> builder().gitServer(taken.getLocalPort(), "s3cret-pass").build())
                    .isInstanceOf(BerthException.class).hasMessageContaining(Integer.toString(taken.getLocalPort()))
                    .hasMessageNotContaining("s3cret-pass");
        }
        assertThat(snapshot()).isEqualTo(before);
        assertThat(backend.calls).isEmpty();
    }

    /** A router that counts tables and notes its close. */
    private static final class RecordingRouter implements dev.berth.spi.Router {
        volatile int applied;
        volatile boolean closed;

        @Override
        public void apply(dev.berth.api.RoutingTable table) {
            applied++;
        }

        @Override
        public Map<String, dev.berth.api.Traffic> traffic() {
            return Map.of();
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** Records what the platform asks; runs nothing. */
    private static final class RecordingBackend implements Backend {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile boolean closed;

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public RunningInstance start(LaunchRequest r) {
            calls.add("start " + r.instanceId());
            return new RunningInstance(r.instanceId(), r.app().name(), r.release(), r.node(), null, "1", Instant.now());
        }

        @Override
        public void stop(String instanceId, Duration grace) {
            calls.add("stop " + instanceId);
        }

        @Override
        public void kill(String instanceId) {
            calls.add("kill " + instanceId);
        }

        @Override
        public List<RunningInstance> list() {
            return List.of();
        }

        @Override
        public void onExit(ExitListener listener) {
        }

        @Override
        public InstanceConsole console() {
            return new InstanceConsole() {
                @Override
                public List<String> logs(String instanceId, int lines) {
                    return List.of();
                }

                @Override
                public AutoCloseable follow(String instanceId, Consumer<String> consumer) {
                    return () -> { };
                }

                @Override
                public ExecResult exec(String instanceId, List<String> argv, Duration timeout) {
                    return new ExecResult(0, "");
                }
            };
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
