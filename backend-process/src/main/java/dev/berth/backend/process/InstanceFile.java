// What the backend records about one launched instance (instance.properties): pids, env, user, cgroup.
package dev.berth.backend.process;

import dev.berth.support.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What the backend records about one launched instance, in {@code instance.properties} inside
 * the instance directory: enough to find the process again (pid + start time), to rebuild its
 * {@link dev.berth.spi.RunningInstance}, and to run commands in its directory and env; the pid and
 * start ticks of the wrapper that records its exit (0 and empty for instances started before
 * wrappers existed, which led their own session) and its cgroup. Written atomically (temp file,
 * fsync, rename). Immutable.
 */
record InstanceFile(String instanceId, String node, String app, String release, long pid, Instant startedAt,
                    OptionalLong startTicks, String host, Integer port, Path workDir, Map<String, String> env,
                    Optional<RunAs> runAs, long wrapperPid, OptionalLong wrapperTicks,
                    Optional<InstanceCgroup> cgroup) {

    static final String NAME = "instance.properties";
    /** The name the file gets once its process is gone, kept for logs and post-mortem exec. */
    static final String EXITED = "instance.exited.properties";

    /**
     * The launch intent: the record but its pids, written before the process is launched (its
     * {@code startedAt} is when the launch began) and deleted once {@link #NAME} is written.
     */
    static final String LAUNCHING = "instance.launching.properties";

    InstanceFile {
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
    }

    /** A launch intent ({@link #LAUNCHING}): everything but the pids, which the launch tells. */
    static InstanceFile intent(String instanceId, String node, String app, String release, Instant launchAt, String host,
                               Integer port, Path workDir, Map<String, String> env, Optional<RunAs> runAs,
                               Optional<InstanceCgroup> cgroup) {
        return new InstanceFile(instanceId, node, app, release, 0, launchAt, OptionalLong.empty(), host, port, workDir,
                env, runAs, 0, OptionalLong.empty(), cgroup);
    }

    /** This intent completed with what the wrapper's pid file says and the process's start time. */
    InstanceFile launched(InstanceLauncher.Launched l, Instant startedAt) {
        return new InstanceFile(instanceId, node, app, release, l.pid(), startedAt, OptionalLong.of(l.ticks()), host, port,
                workDir, env, runAs, l.wrapperPid(), OptionalLong.of(l.wrapperTicks()), cgroup);
    }

    /** Its process if it still runs (same pid, same start time and ticks, not a zombie). */
    Optional<ProcessHandle> process() {
        return Procs.find(pid, startedAt, startTicks);
    }

    /** Writes {@code file} atomically: temp file in the same directory, fsync, rename, fsync the directory. */
    void write(Path file) throws IOException {
        Properties p = new Properties();
        p.setProperty("version", "1");
        p.setProperty("instanceId", instanceId);
        p.setProperty("node", node);
        p.setProperty("app", app);
        p.setProperty("release", release);
        p.setProperty("pid", Long.toString(pid));
        p.setProperty("startedAt", startedAt.toString());
        startTicks.ifPresent(t -> p.setProperty("startTicks", Long.toString(t)));
        p.setProperty("host", host);
        if (port != null) {
            p.setProperty("port", port.toString());
        }
        p.setProperty("workDir", workDir.toString());
        runAs.ifPresent(r -> p.setProperty("runAs", r.toString()));
        if (wrapperPid > 0) {
            p.setProperty("wrapperPid", Long.toString(wrapperPid));
        }
        wrapperTicks.ifPresent(t -> p.setProperty("wrapperTicks", Long.toString(t)));
        cgroup.ifPresent(c -> p.setProperty("cgroup", c.toProperty()));
        env.forEach((k, v) -> p.setProperty("env." + k, v));
        StringWriter text = new StringWriter();
        p.store(text, "berth process backend: instance " + instanceId);
        writeAtomically(file, text.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        AtomicFiles.write(file, bytes);
    }

    /** Reads a file written by {@link #write}; throws IOException when it is missing or malformed. */
    static InstanceFile read(Path file) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        try {
            String id = required(p, "instanceId");
            Map<String, String> env = new TreeMap<>();
            for (String key : p.stringPropertyNames()) {
                if (key.startsWith("env.")) {
                    env.put(key.substring(4), p.getProperty(key));
                }
            }
            String ticks = p.getProperty("startTicks");
            String port = p.getProperty("port");
            String wrapperTicks = p.getProperty("wrapperTicks");
            return new InstanceFile(id, required(p, "node"), required(p, "app"), required(p, "release"),
                    Long.parseLong(required(p, "pid")), Instant.parse(required(p, "startedAt")),
                    ticks == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(ticks)),
                    required(p, "host"), port == null ? null : Integer.valueOf(port), Path.of(required(p, "workDir")), env,
                    Optional.ofNullable(p.getProperty("runAs")).map(RunAs::parse),
                    Long.parseLong(p.getProperty("wrapperPid", "0")),
                    wrapperTicks == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(wrapperTicks)),
                    Optional.ofNullable(p.getProperty("cgroup")).map(InstanceCgroup::parse));
        } catch (RuntimeException e) {
            throw new IOException("malformed instance file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The session the instance runs in: its wrapper's, or its own for instances from before wrappers. */
    long sessionId() {
        return wrapperPid > 0 ? wrapperPid : pid;
    }

    /** The start ticks of the session leader, when known. */
    OptionalLong sessionTicks() {
        return wrapperPid > 0 ? wrapperTicks : startTicks;
    }

    private static String required(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) {
            throw new IllegalArgumentException("missing " + key);
        }
        return v;
    }

}
