package dev.berth.samples;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.backend.process.ProcessBackend;
import dev.berth.core.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Measures respawn on this machine: the quickstart's app ({@link HelloApp}, 3 instances, its HTTP
 * check) on the process backend; one instance is killed with SIGKILL {@code --kills} times,
 * {@code --spacing} ms after it answered again and was healthy, and each time the bench measures
 * from the kill to that instance answering {@code GET /} on its new endpoint (polled every 2 ms).
 * It also times the app's own JVM alone ({@code --jvm-starts} times: from launching the same
 * command to its first answer), which bounds what any respawn can reach.
 *
 * <pre>
 * java -cp samples/target/samples-0.1.0-SNAPSHOT-jar-with-dependencies.jar \
 *     dev.berth.samples.RespawnBench [--kills 20] [--spacing 1500] [--jvm-starts 10] [--java-option -Xshare:off]...
 * </pre>
 *
 * <p>Prints one JSON line: p50, p90 and max in milliseconds of both, and every sample.
 */
@Command(name = "RespawnBench", mixinStandardHelpOptions = true,
        description = "Times kill -9 of an instance of the quickstart's app to its answering again, and the app's JVM alone.")
public final class RespawnBench implements Callable<Integer> {
    private static final long EACH_MAX_NANOS = TimeUnit.SECONDS.toNanos(30);

    @Option(names = "--kills", paramLabel = "N", defaultValue = "20",
            description = "kills of the instance, 1-1000 (default: ${DEFAULT-VALUE})")
    int kills;

    @Option(names = "--spacing", paramLabel = "MS", defaultValue = "1500",
            description = "pause after the instance is back and healthy, before the next kill, 0-60000 ms (default: ${DEFAULT-VALUE})")
    int spacing;

    @Option(names = "--jvm-starts", paramLabel = "N", defaultValue = "10",
            description = "launches of the app's JVM alone, 0-1000 (default: ${DEFAULT-VALUE})")
    int jvmStarts;

    @Option(names = "--java-option", paramLabel = "OPTION",
            description = "a java option added to the app's command (repeatable), e.g. -XX:SharedArchiveFile=hello.jsa")
    List<String> javaOptions = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final PrintStream out;

    RespawnBench(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        int code = new CommandLine(new RespawnBench(System.out)).execute(args);
        System.exit(code);
    }

    @Override
    public Integer call() throws Exception {
        check("--kills", kills, 1, 1000);
        check("--spacing", spacing, 0, 60_000);
        check("--jvm-starts", jvmStarts, 0, 1000);
        for (String o : javaOptions) {
            if (!o.startsWith("-")) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--java-option: '" + o + "' is not allowed; a java option starts with '-'");
            }
        }
        List<String> command = Samples.javaCommand(HelloApp.class, javaOptions);
        long[] alone = new long[jvmStarts];
        for (int i = 0; i < jvmStarts; i++) {
            alone[i] = jvmAlone(command);
        }
        Path work = Files.createTempDirectory("berth-respawn-bench");
        long[] respawn = new long[kills];
        try (Platform platform = Platform.builder()
                .node(NodeSpec.of("local", Resources.builder().cpu(Runtime.getRuntime().availableProcessors()).build()))
                .backend(ProcessBackend.builder().baseDir(work.resolve("instances")).build())
                .stateDir(work.resolve("state"))
                .build()) {
            try {
                platform.deploy(Quickstart.helloSpec(command));
                String id = awaitAllHealthy(platform);
                for (int k = 0; k < kills; k++) {
                    Thread.sleep(spacing);
                    respawn[k] = killAndTime(platform, id);
                    awaitHealthy(platform, id);
                }
            } finally {
                platform.stopAll(Duration.ofSeconds(30));
            }
        } finally {
            deleteTree(work);
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("benchmark", "respawn");
        line.put("app", "HelloApp (the quickstart's), process backend");
        line.put("command", command.subList(1, command.size() - 3)); // the java options
        line.put("kills", kills);
        line.put("spacingMs", spacing);
        line.put("killToAnsweringMs", stats(respawn));
        line.put("jvmAloneLaunchToAnsweringMs", stats(alone));
        out.println(new ObjectMapper().writeValueAsString(line));
        return 0;
    }

    private void check(String option, int value, int min, int max) {
        if (value < min || value > max) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    option + ": " + value + " is not allowed; use " + min + "-" + max);
        }
    }

    /** Kills the instance's process with SIGKILL; returns the ms until its new process answers on its endpoint. */
    private static long killAndTime(Platform platform, String id) throws Exception {
        InstanceRecord before = platform.instance(id).record();
        ProcessHandle victim = ProcessHandle.of(Long.parseLong(before.handle()))
                .orElseThrow(() -> new IllegalStateException("instance " + id + ": pid " + before.handle() + " is gone"));
        long t0 = System.nanoTime();
        victim.destroyForcibly();
        while (System.nanoTime() - t0 < EACH_MAX_NANOS) {
            InstanceRecord r = platform.instance(id).record();
            if (r.handle() != null && !r.handle().equals(before.handle()) && r.endpoint() != null
                    && answers(r.endpoint().port(), r.handle())) {
                return (System.nanoTime() - t0) / 1_000_000;
            }
            Thread.sleep(2);
        }
        throw new IllegalStateException("instance " + id + " did not answer within 30 s of kill -9 of pid " + before.handle());
    }

    /** Launches {@code command} with a free PORT; returns the ms until it answers, then stops it. */
    private static long jvmAlone(List<String> command) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("PORT", Integer.toString(port));
        long t0 = System.nanoTime();
        Process p = pb.start();
        try {
            while (System.nanoTime() - t0 < EACH_MAX_NANOS) {
                if (answers(port, Long.toString(p.pid()))) {
                    return (System.nanoTime() - t0) / 1_000_000;
                }
                if (!p.isAlive()) {
                    throw new IllegalStateException("the app's JVM ended with " + p.exitValue() + ": " + command);
                }
                Thread.sleep(2);
            }
            throw new IllegalStateException("the app's JVM did not answer within 30 s: " + command);
        } finally {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /** Whether 127.0.0.1:{@code port} answers {@code GET /} with 200 from process {@code pid}. */
    private static boolean answers(int port, String pid) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 100);
            s.setSoTimeout(2000);
            OutputStream o = s.getOutputStream();
            o.write("GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.startsWith("HTTP/1.1 200 ") && text.contains("pid " + pid + ")");
        } catch (IOException e) {
            return false;
        }
    }

    /** Waits (at most 60 s) until the 3 instances are healthy; returns the id of the first. */
    private static String awaitAllHealthy(Platform platform) throws InterruptedException {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < 2 * EACH_MAX_NANOS) {
            var all = platform.instances("hello");
            if (all.size() == 3 && all.stream().allMatch(i -> i.record().state() == InstanceState.HEALTHY)) {
                return all.get(0).id();
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("the quickstart's 3 instances were not healthy within 60 s");
    }

    private static void awaitHealthy(Platform platform, String id) throws InterruptedException {
        long t0 = System.nanoTime();
        while (platform.instance(id).record().state() != InstanceState.HEALTHY) {
            if (System.nanoTime() - t0 > EACH_MAX_NANOS) {
                throw new IllegalStateException("instance " + id + " was not healthy again within 30 s");
            }
            Thread.sleep(10);
        }
    }

    /** p50, p90 (nearest rank), max and every sample, in ms. */
    static Map<String, Object> stats(long[] ms) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (ms.length == 0) {
            return m;
        }
        long[] s = ms.clone();
        Arrays.sort(s);
        m.put("p50", s[(int) Math.ceil(s.length * 0.5) - 1]);
        m.put("p90", s[(int) Math.ceil(s.length * 0.9) - 1]);
        m.put("max", s[s.length - 1]);
        m.put("samples", ms);
        return m;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
