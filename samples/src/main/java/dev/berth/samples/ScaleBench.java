// ScaleBench: the control loop at scale, measured through the public API over SimBackend.
package dev.berth.samples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Measures how fast the platform starts many instances, through its public API only, over a
 * {@link dev.berth.testkit.SimBackend} whose starts cost nothing and with no router:
 *
 * <pre>
 * java -Xmx1g -cp samples/target/samples-0.1.0-SNAPSHOT-jar-with-dependencies.jar \
 *     dev.berth.samples.ScaleBench [--workload NAME]... [--timeout SECONDS] [--store file|memory] [--router]
 * </pre>
 *
 * <p>Prints one JSON line per workload ({@link ScaleWorkload#ALL}; without {@code --workload}, the
 * default ones): {@code workload, apps, instances, nodes, completed, started} (InstanceStarted
 * events counted), {@code ms} from the first deploy call to the last instance started,
 * {@code instancesPerSecond}, {@code deployCalls}, {@code deployP50Ms} and {@code deployP99Ms} (the
 * latency of each {@code deploy}, or of the one {@code scale} call), {@code heapUsedAfterGcMb}. A
 * workload not done within {@code --timeout} prints {@code "completed": false} and the count
 * reached. Progress goes to stderr every 10 s. Logging defaults to WARN (set
 * {@code -Dorg.slf4j.simpleLogger.defaultLogLevel=info} to see the platform's lines).
 *
 * <p>Exit codes: 0 every workload completed; 1 one did not, or failed; 2 bad usage. Not
 * thread-safe: one run per instance.
 */
@Command(name = "ScaleBench", mixinStandardHelpOptions = true,
        description = "Deploys many apps on a SimBackend cluster and prints one JSON line per workload.")
public final class ScaleBench implements Callable<Integer> {
    /** Exit code when a workload did not complete or failed. */
    public static final int INCOMPLETE = 1;
    /** Exit code for bad usage. */
    public static final int USAGE = 2;
    private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--workload", paramLabel = "NAME",
            description = "a workload to run (repeatable): apps100x10, apps1000x10, scale-one, app1x5000 (the "
                    + "defaults), apps100x100, node-down, apps10000x10, scale-one-10000, app1x10000")
    List<String> workloads = new ArrayList<>();

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "the most one workload may take (default ${DEFAULT-VALUE} s)")
    long timeoutSeconds;

    @Option(names = "--store", paramLabel = "KIND", defaultValue = "file",
            description = "the state store: file (the default one, in a temporary dir) or memory (SimStateStore: "
                    + "the loop without the disk)")
    String store;

    @Option(names = "--router", description = "route each app's domain through SimRouter (an in-memory router): "
            + "every instance answers its readiness check on one local port, so the loop routes them all")
    boolean router;

    private final PrintStream stdout;
    private final PrintStream stderr;

    private ScaleBench(PrintStream stdout, PrintStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Runs the command (logging at WARN unless set otherwise) and exits with its code. */
    public static void main(String[] args) {
        if (System.getProperty(LOG_LEVEL) == null) {
            System.setProperty(LOG_LEVEL, "warn");
        }
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command with these streams; returns the exit code instead of exiting. */
    public static int run(String[] args, PrintStream stdout, PrintStream stderr) {
        CommandLine cli = new CommandLine(new ScaleBench(stdout, stderr));
        cli.setOut(new PrintWriter(stdout, true));
        cli.setErr(new PrintWriter(stderr, true));
        return cli.execute(args);
    }

    @Override
    public Integer call() throws InterruptedException {
        if (timeoutSeconds < 1 || timeoutSeconds > 86_400) {
            stderr.println("ScaleBench: --timeout " + timeoutSeconds + " is not allowed: must be 1-86400 seconds");
            return USAGE;
        }
        if (!store.equals("file") && !store.equals("memory")) {
            stderr.println("ScaleBench: --store '" + store + "' is not known: must be file or memory");
            return USAGE;
        }
        List<ScaleWorkload> chosen = new ArrayList<>();
        for (String name : workloads) {
            ScaleWorkload w = ScaleWorkload.named(name).orElse(null);
            if (w == null) {
                stderr.println("ScaleBench: --workload '" + name + "' is not known; known: "
                        + ScaleWorkload.ALL.stream().map(ScaleWorkload::name).toList());
                return USAGE;
            }
            if (!chosen.contains(w)) {
                chosen.add(w);
            }
        }
        if (chosen.isEmpty()) {
            chosen.addAll(ScaleWorkload.ALL.stream().filter(ScaleWorkload::byDefault).toList());
        }
        chosen.sort(Comparator.comparingInt(ScaleWorkload.ALL::indexOf));
        long timeout = TimeUnit.SECONDS.toNanos(timeoutSeconds);
        boolean allDone = true;
        ScaleRun current = null;
        try {
            for (ScaleWorkload w : chosen) {
                Map<String, Object> line;
                if (w.base() == null) {
                    current = close(current);
                    current = open(w);
                    line = current.deployAll(timeout);
                } else {
                    ScaleWorkload base = ScaleWorkload.named(w.base()).orElseThrow();
                    if (current == null || !current.workload().equals(base)) {
                        current = close(current);
                        current = open(base);
                        current.deployAll(timeout); // set-up only: its line was not asked for
                    }
                    if (!current.completed()) {
                        line = ScaleRun.notRun(w, "its base workload " + base.name() + " did not complete within "
                                + timeoutSeconds + " s");
                    } else if (w.kind() == ScaleWorkload.Kind.NODE_DOWN) {
                        line = current.nodeDown(w.name(), timeout);
                    } else {
                        line = current.scaleOne(w.name(), timeout);
                    }
                }
                allDone &= Boolean.TRUE.equals(line.get("completed"));
                print(line);
            }
        } catch (RuntimeException e) {
            stderr.println("ScaleBench: failed: " + e);
            // the stack trace, through the log (a logger made only now: main sets its level first)
            org.slf4j.LoggerFactory.getLogger(ScaleBench.class).error("ScaleBench failed", e);
            return INCOMPLETE;
        } finally {
            if (current != null) {
                current.close();
            }
        }
        return allDone ? 0 : INCOMPLETE;
    }

    /** Closes a run, if any, before the next opens: one platform's heap at a time. Returns null. */
    private static ScaleRun close(ScaleRun run) {
        if (run != null) {
            run.close();
        }
        return null;
    }

    private ScaleRun open(ScaleWorkload w) {
        stderr.println("ScaleBench: " + w.name() + ": " + w.apps() + " app(s) x " + w.perApp() + " on " + w.nodes()
                + " nodes");
        return ScaleRun.open(w, store.equals("memory"), router, stderr);
    }

    private void print(Map<String, Object> line) {
        try {
            stdout.println(JSON.writeValueAsString(line));
            stdout.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a result line: " + e.getMessage(), e);
        }
    }
}
