// Where instances get cgroups of their own (v2, v1 or none), chosen once from what the machine has.
package dev.berth.backend.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.api.BackendException;
import dev.berth.api.Resources;

/**
 * Where instances get cgroups of their own, chosen once by what the machine has: cgroup v2
 * (memory.max, cpu.max, pids.max), else v1 (memory.limit_in_bytes, cpu.cfs_quota_us, pids.max),
 * else none, which is said once per JVM in a WARN. Instance cgroups are made under a {@code berth}
 * cgroup inside the platform's own, named {@code <tag>.<instance id>} (the tag tells backends on
 * different base directories apart). Immutable and thread-safe.
 */
final class Cgroups {
    private static final Logger LOG = LoggerFactory.getLogger(Cgroups.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    /** The pids ceiling of an instance whose spec has no {@code pids} resource. */
    static final long DEFAULT_PIDS = 4096;
    /** The resource dimension that sets an instance's pids ceiling. */
    static final String PIDS = "pids";
    static final long CPU_PERIOD_MICROS = 100_000;
    private static final List<String> V1_CONTROLLERS = List.of("memory", "cpu", "pids");

    private final boolean v2;
    /** v2: the berth cgroup; v1: the berth cgroup in each controller's hierarchy, by controller. Empty: none. */
    private final Map<String, Path> parents;
    private final String tag;

    private Cgroups(boolean v2, Map<String, Path> parents, String tag) {
        this.v2 = v2;
        this.parents = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parents));
        this.tag = tag;
    }

    /** No cgroups: limits are not enforced. */
    static Cgroups none() {
        return new Cgroups(false, Map.of(), "");
    }

    /** What this machine offers, probed under /sys/fs/cgroup for the current process. */
    static Cgroups detect(String tag) {
        List<String> self;
        try {
            self = Files.readAllLines(Path.of("/proc/self/cgroup"));
        } catch (IOException e) {
            self = List.of();
        }
        return detect(Path.of("/sys/fs/cgroup"), self, isRoot(), tag);
    }

    /**
     * What a machine with cgroup file systems under {@code mount} offers a process whose
     * /proc/self/cgroup is {@code self}; creates the {@code berth} parent cgroups. Never throws:
     * when nothing is usable it warns (once per JVM) and returns {@link #none()}.
     */
    static Cgroups detect(Path mount, List<String> self, boolean root, String tag) {
        if (!root) {
            return warnNone("the platform does not run as root");
        }
        List<String> problems = new ArrayList<>();
        Optional<Cgroups> v2 = tryV2(mount, self, tag, problems);
        if (v2.isPresent()) {
            return v2.get();
        }
        Optional<Cgroups> v1 = tryV1(mount, self, tag, problems);
        if (v1.isPresent()) {
            return v1.get();
        }
        return warnNone(String.join("; ", problems));
    }

    private static Cgroups warnNone(String why) {
        if (WARNED.compareAndSet(false, true)) {
            LOG.warn("process backend: instances get no cgroup of their own ({}): their memoryMb and cpu and a pids "
                    + "ceiling are NOT enforced, and a child that leaves its session (setsid, double fork) survives "
                    + "stop. Run the platform as root on a machine with writable cgroups (v2, or v1 memory/cpu/pids) "
                    + "to enforce them.", why);
        }
        return none();
    }

    private static Optional<Cgroups> tryV2(Path mount, List<String> self, String tag, List<String> problems) {
        Path root = Files.exists(mount.resolve("cgroup.controllers")) ? mount : mount.resolve("unified");
        Path controllers = root.resolve("cgroup.controllers");
        String own = null;
        for (String line : self) {
            if (line.startsWith("0::")) {
                own = line.substring(3);
            }
        }
        try {
            if (!Files.exists(controllers) || own == null) {
                problems.add("no cgroup v2 hierarchy");
                return Optional.empty();
            }
            Path ownDir = under(root, own);
            List<String> have = List.of(Files.readString(ownDir.resolve("cgroup.controllers")).trim().split("\\s+"));
            if (!have.containsAll(V1_CONTROLLERS)) {
                problems.add("cgroup v2 at " + root + " offers " + have + " to " + ownDir + ", not memory, cpu and pids");
                return Optional.empty();
            }
            Path parent = ownDir.resolve("berth");
            enable(ownDir);
            mkdir(parent);
            enable(parent);
            return Optional.of(new Cgroups(true, Map.of("", parent), tag));
        } catch (IOException | RuntimeException e) {
            problems.add("cgroup v2 at " + root + " is not usable: " + e);
            return Optional.empty();
        }
    }

    private static void enable(Path dir) throws IOException {
        Path control = dir.resolve("cgroup.subtree_control");
        String now = Files.exists(control) ? Files.readString(control) : "";
        if (!List.of(now.trim().split("\\s+")).containsAll(V1_CONTROLLERS)) {
            Files.writeString(control, "+memory +cpu +pids");
        }
    }

    private static Optional<Cgroups> tryV1(Path mount, List<String> self, String tag, List<String> problems) {
        Map<String, Path> parents = new LinkedHashMap<>();
        for (String controller : V1_CONTROLLERS) {
            Path hierarchy = mount.resolve(controller);
            String own = null;
            for (String line : self) {
                String[] f = line.split(":", 3);
                if (f.length == 3 && List.of(f[1].split(",")).contains(controller)) {
                    own = f[2];
                }
            }
            if (own == null || !Files.exists(hierarchy.resolve("cgroup.procs"))) {
                problems.add("no cgroup v1 " + controller + " hierarchy");
                continue;
            }
            try {
                Path parent = under(hierarchy, own).resolve("berth");
                mkdir(parent);
                parents.put(controller, parent);
            } catch (IOException | RuntimeException e) {
                problems.add("cgroup v1 " + controller + " at " + hierarchy + " is not usable: " + e);
            }
        }
        if (parents.isEmpty()) {
            return Optional.empty();
        }
        if (parents.size() < V1_CONTROLLERS.size()) {
            LOG.warn("process backend: cgroup v1 {} only: {}", parents.keySet(), String.join("; ", problems));
        }
        return Optional.of(new Cgroups(false, parents, tag));
    }

    private static Path under(Path root, String own) {
        Path dir = root;
        for (String part : own.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            if (part.equals("..") || part.equals(".")) {
                throw new IllegalArgumentException("cgroup path '" + own + "' is not allowed");
            }
            dir = dir.resolve(part);
        }
        return dir;
    }

    private static void mkdir(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(dir);
        }
    }

    /** Whether instances get cgroups. */
    boolean enabled() {
        return !parents.isEmpty();
    }

    /** "v2", "v1 [memory, cpu, pids]" or "none", for logs. */
    String describe() {
        return !enabled() ? "none" : v2 ? "v2 under " + parents.get("") : "v1 " + parents.keySet();
    }

    /**
     * Creates the instance's cgroup with the limits of {@code resources}: memory from
     * {@code memoryMb}, a CPU quota from {@code cpu} (cores, per 100 ms), a pids ceiling from a
     * {@code pids} dimension, else {@link #DEFAULT_PIDS}. Empty when cgroups are not enabled. A
     * left-over cgroup of the same name is reused when empty.
     */
    Optional<InstanceCgroup> create(String instanceId, Resources resources, String what) {
        if (!enabled()) {
            return Optional.empty();
        }
        String name = tag + "." + instanceId;
        List<Path> dirs = new ArrayList<>();
        try {
            for (Map.Entry<String, Path> p : parents.entrySet()) {
                Path dir = p.getValue().resolve(name);
                mkdir(dir);
                dirs.add(dir);
                limit(p.getKey(), dir, resources);
            }
        } catch (IOException | RuntimeException e) {
            new InstanceCgroup(v2, dirs).remove();
            throw new BackendException(what + ": cannot create its cgroup " + name + " (" + describe() + "): " + e, e);
        }
        return Optional.of(new InstanceCgroup(v2, dirs));
    }

    private void limit(String controller, Path dir, Resources r) throws IOException {
        long memory = (long) Math.ceil(r.get(Resources.MEMORY_MB) * 1024 * 1024);
        long quota = Math.max(1000, Math.round(r.get(Resources.CPU) * CPU_PERIOD_MICROS));
        long pids = r.has(PIDS) ? Math.max(1, (long) r.get(PIDS)) : DEFAULT_PIDS;
        boolean cpu = r.get(Resources.CPU) > 0;
        if (v2) {
            write(dir.resolve("memory.max"), memory > 0 ? Long.toString(memory) : "max");
            write(dir.resolve("cpu.max"), (cpu ? Long.toString(quota) : "max") + " " + CPU_PERIOD_MICROS);
            write(dir.resolve("pids.max"), Long.toString(pids));
            return;
        }
        switch (controller) {
            case "memory" -> write(dir.resolve("memory.limit_in_bytes"), memory > 0 ? Long.toString(memory) : "-1");
            case "cpu" -> {
                write(dir.resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_MICROS));
                write(dir.resolve("cpu.cfs_quota_us"), cpu ? Long.toString(quota) : "-1");
            }
            case "pids" -> write(dir.resolve("pids.max"), Long.toString(pids));
            default -> throw new IllegalStateException(controller);
        }
    }

    private static void write(Path file, String value) throws IOException {
        Files.write(file, value.getBytes(StandardCharsets.US_ASCII));
    }

    private static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
