// The hook modules of one platform: presets per (module, app), the ordered job queue fed by the platform's events, and the inventory sync.
package dev.berth.hooks;

import dev.berth.api.InvalidSpecException;
import dev.berth.api.NotFoundException;
import dev.berth.api.PlatformListener;
import dev.berth.core.Platform;
import dev.berth.spi.HookModule;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MConn's hook modules inside Berth:
 *
 * <pre>{@code
 * Hooks hooks = Hooks.builder().platform(platform)
 *         .module(new WebhookModule()).module(new FileSdModule())
 *         .stateFile(stateDir.resolve("hooks.json"))
 *         .build();
 * hooks.setPreset("webhook", "web", true, Map.of("url", "http://127.0.0.1:9000/hook", "secret", "..."));
 * }</pre>
 *
 * Every instance that becomes ready is an UP job, every one that stops being so a DOWN job, queued
 * on one ordered lane per (module, app) whose preset is enabled; lanes run in parallel. Each
 * module's checkpoint (the instances it acknowledged as up) and its pending jobs are saved in the
 * state file as soon as they change (a job reaches its module only once saved). On start the saved
 * jobs are resumed; then, and every
 * {@code syncInterval}, and when a preset is enabled or its options change, an inventory sync
 * queues what a module still lacks, so after a crash, a module that was failing or a preset enabled
 * late, each module comes to hold the app's ready instances. Delivery is at least once.
 * Thread-safe.
 */
public final class Hooks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Hooks.class);
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private final Platform platform;
    private final Map<String, HookModule> modules;
    private final HookState store;
    private final HookQueue queue;
    private final EventJobs jobs;
    private final Map<String, Preset> presets = new TreeMap<>(); // "module/app"; guarded by this
    private final BlockingQueue<Runnable> intake = new LinkedBlockingQueue<>();
    private final ScheduledExecutorService timer;
    private final Thread dispatcher;
    /** Whether something to save changed since the last save; guarded by {@link #saveSignal}. */
    private boolean dirty;
    private final Object saveSignal = new Object();
    private final Thread saver;
    /** What was saved for presets whose module is not installed now: kept as it was in each save. */
    private final Map<String, Orphan> orphans = new TreeMap<>();

    private record Orphan(Set<String> checkpoint, List<dev.berth.api.HookJob> jobs) {
    }
    private final PlatformListener listener;
    private volatile boolean closed;

    private Hooks(Builder b) {
        this.platform = b.platform;
        this.modules = Map.copyOf(b.modules);
        this.store = b.state != null ? b.state : new HookStore(b.stateFile);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "berth-hooks-timer");
            t.setDaemon(true);
            return t;
        });
        this.queue = new HookQueue(b.parallelism, timer, b.minBackoff, b.stateFile != null || b.state != null, this::changed);
        this.jobs = new EventJobs(platform, queue);
        HookState.Snapshot saved = store.load();
        for (Preset p : saved.presets()) {
            HookModule m = modules.get(p.module());
            if (m == null) {
                LOG.warn("hooks: preset for module '{}' (app {}) kept but idle: no such module is installed", p.module(), p.app());
                presets.put(p.module() + "/" + p.app(), p);
                orphans.put(p.module() + "/" + p.app(), new Orphan(
                        saved.checkpoints().getOrDefault(p.module(), Map.of()).getOrDefault(p.app(), Set.of()),
                        saved.jobs().getOrDefault(p.module(), Map.of()).getOrDefault(p.app(), List.of())));
                continue;
            }
            presets.put(p.module() + "/" + p.app(), p);
            Lane lane = queue.lane(m, p.app());
            lane.restore(saved.checkpoints().getOrDefault(p.module(), Map.of()).getOrDefault(p.app(), Set.of()),
                    saved.jobs().getOrDefault(p.module(), Map.of()).getOrDefault(p.app(), List.of()));
            lane.preset(p.enabled(), p.options(), false);
        }
        this.dispatcher = new Thread(this::dispatch, "berth-hooks-dispatcher");
        dispatcher.setDaemon(true);
        dispatcher.start();
        queue.all().forEach(queue::schedule); // jobs saved before a restart go first, in their order
        this.listener = event -> intake.add(() -> jobs.on(event));
        platform.addListener(listener);
        long sync = b.syncInterval.toMillis();
        timer.scheduleWithFixedDelay(this::syncAll, 0, sync, TimeUnit.MILLISECONDS); // the first one at once
        this.saver = new Thread(this::saveLoop, "berth-hooks-saver");
        saver.setDaemon(true);
        saver.start();
        LOG.info("hooks: modules {}, {} preset(s), sync every {} ms", modules(), presets.size(), sync);
    }

    /** A builder; {@link Builder#platform} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The installed modules' names, sorted. */
    public List<String> modules() {
        return modules.keySet().stream().sorted().toList();
    }

    /** Every preset, by module then app. */
    public synchronized List<Preset> presets() {
        return List.copyOf(presets.values());
    }

    /** The preset of {@code module} for {@code app}, if there is one. */
    public synchronized Optional<Preset> preset(String module, String app) {
        return Optional.ofNullable(presets.get(module + "/" + app));
    }

    /**
     * Sets the preset of {@code module} for {@code app}: the module checks the options first (and
     * nothing changes when they are wrong). Disabling stops delivery at once; enabling, or new
     * options, starts an inventory sync of that app for that module (new options: from nothing, as
     * the module's target may be new). Saved before it returns.
     *
     * @throws NotFoundException when no module has that name
     * @throws InvalidSpecException naming the field when the app name or an option is not allowed
     */
    public Preset setPreset(String module, String app, boolean enabled, Map<String, Object> options) {
        HookModule m = module(module);
        if (app == null || !NAME.matcher(app).matches()) {
            throw new InvalidSpecException("app", app, "an app name: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'");
        }
        Objects.requireNonNull(options, "options").forEach((k, v) -> {
            if (v == null) {
                throw new InvalidSpecException("options." + k, null, "a value (text, number, boolean, list or map), not null");
            }
        });
        Map<String, Object> opts = Map.copyOf(options);
        m.validate(opts);
        Preset next = new Preset(module, app, enabled, opts);
        Lane lane;
        synchronized (this) {
            Preset before = presets.put(module + "/" + app, next);
            lane = queue.lane(m, app);
            boolean newOptions = before != null && !before.options().equals(opts);
            lane.preset(enabled, opts, newOptions);
            save();
        }
        if (enabled) {
            queue.schedule(lane); // jobs left from before (a failure, a disable) go on
            intake.add(() -> jobs.sync(lane));
        }
        LOG.info("hooks: preset {} for app {}: {}", module, app, enabled ? "enabled" : "disabled");
        return next;
    }

    /** Removes the preset and the module's checkpoint for the app; its queued jobs are dropped. */
    public void removePreset(String module, String app) {
        module(module);
        synchronized (this) {
            if (presets.remove(module + "/" + app) == null) {
                throw new NotFoundException("no preset of module '" + module + "' for app '" + app + "'");
            }
            Lane lane = queue.existing(module, app);
            if (lane != null) {
                lane.preset(false, Map.of(), true); // kept (disabled, started over): a running job of it ends harmlessly
            }
            orphans.remove(module + "/" + app);
            save();
        }
    }

    /** Every lane: its pending jobs, the one in progress, the last failure; by module then app. */
    public List<LaneStatus> lanes() {
        Set<String> withPreset;
        synchronized (this) {
            withPreset = Set.copyOf(presets.keySet());
        }
        return queue.all().stream().filter(l -> withPreset.contains(l.module.name() + "/" + l.app)).map(Lane::status)
                .sorted(Comparator.comparing(LaneStatus::module).thenComparing(LaneStatus::app)).toList();
    }

    /** Queues an inventory sync of every enabled lane now. */
    public void sync() {
        syncAll();
    }

    /** Jobs handled since start. */
    public long handled() {
        return queue.handled();
    }

    private HookModule module(String name) {
        HookModule m = modules.get(name);
        if (m == null) {
            throw new NotFoundException("no hook module named '" + name + "'; installed: " + modules());
        }
        return m;
    }

    private void syncAll() {
        for (Lane lane : queue.all()) {
            intake.add(() -> jobs.sync(lane));
        }
    }

    private void dispatch() {
        while (!closed) {
            try {
                intake.take().run();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("hooks: dispatching failed; going on", e);
            }
        }
    }

    /** Marks the file out of date and wakes the saver. */
    private void changed() {
        synchronized (saveSignal) {
            dirty = true;
            saveSignal.notifyAll();
        }
    }

    /**
     * Saves whenever something changed, at once (changes made during a save go in the next one:
     * a group commit), then hands the lanes their newly saved jobs.
     */
    private void saveLoop() {
        while (!closed) {
            try {
                synchronized (saveSignal) {
                    while (!dirty && !closed) {
                        saveSignal.wait();
                    }
                    dirty = false;
                }
                Map<Lane, List<dev.berth.api.HookJob>> written;
                synchronized (this) {
                    written = save();
                }
                written.forEach((lane, jobs) -> {
                    if (lane.saved(jobs)) {
                        queue.schedule(lane);
                    }
                });
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("hooks: saving {}: {}; trying again in 1 s", "hooks.json", e.getMessage());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException stop) {
                    return;
                }
                changed();
            }
        }
    }

    /** Writes presets, checkpoints and pending jobs; answers the pending jobs written, by lane. */
    private Map<Lane, List<dev.berth.api.HookJob>> save() {
        Map<String, Map<String, Set<String>>> checkpoints = new TreeMap<>();
        Map<String, Map<String, List<dev.berth.api.HookJob>>> jobs = new TreeMap<>();
        Map<Lane, List<dev.berth.api.HookJob>> written = new java.util.HashMap<>();
        for (Lane lane : queue.all()) {
            if (!presets.containsKey(lane.module.name() + "/" + lane.app)) {
                continue; // a removed preset: nothing of it is kept
            }
            List<dev.berth.api.HookJob> pending = lane.pending();
            checkpoints.computeIfAbsent(lane.module.name(), k -> new TreeMap<>()).put(lane.app,
                    new java.util.TreeSet<>(lane.acknowledged()));
            jobs.computeIfAbsent(lane.module.name(), k -> new TreeMap<>()).put(lane.app, pending);
            written.put(lane, pending);
        }
        orphans.forEach((key, o) -> {
            String[] ma = key.split("/", 2);
            checkpoints.computeIfAbsent(ma[0], k -> new TreeMap<>()).put(ma[1], o.checkpoint());
            jobs.computeIfAbsent(ma[0], k -> new TreeMap<>()).put(ma[1], o.jobs());
        });
        store.save(new HookState.Snapshot(new ArrayList<>(presets.values()), checkpoints, jobs));
        return written;
    }

    /** Stops delivering: the job in progress may be delivered again after a restart. Checkpoints are saved. */
    @Override
    public void close() {
        closed = true;
        platform.removeListener(listener);
        dispatcher.interrupt();
        saver.interrupt();
        timer.shutdownNow();
        queue.close();
        try {
            synchronized (this) {
                save();
            }
        } catch (RuntimeException e) { // a fenced store (this controller no longer leads), a full disk: nothing more to do
            LOG.warn("hooks: the last save on close failed: {}", e.getMessage());
        }
    }

    /** Builds {@link Hooks}. */
    public static final class Builder {
        private Platform platform;
        private final Map<String, HookModule> modules = new LinkedHashMap<>();
        private Path stateFile;
        private HookState state;
        private Duration syncInterval = Duration.ofSeconds(60);
        private int parallelism = 4;
        private Duration minBackoff = Duration.ofMillis(500);

        private Builder() {
        }

        /** The platform whose instances it follows (required). */
        public Builder platform(Platform platform) {
            this.platform = Objects.requireNonNull(platform, "platform");
            return this;
        }

        /** Installs a module; its name must be unique and a DNS label. */
        public Builder module(HookModule module) {
            if (!NAME.matcher(module.name()).matches()) {
                throw new IllegalArgumentException("module name '" + module.name() + "' is not allowed: 1-63 of a-z, 0-9 and '-'");
            }
            if (modules.putIfAbsent(module.name(), module) != null) {
                throw new IllegalArgumentException("module '" + module.name() + "' is installed twice");
            }
            return this;
        }

        /** Where presets and checkpoints are kept (e.g. {@code state/hooks.json}); without it, nothing survives a restart. */
        public Builder stateFile(Path file) {
            this.stateFile = Objects.requireNonNull(file, "stateFile");
            return this;
        }

        /** Keeps presets and checkpoints in {@code state} instead of a file (ZooKeeper, for several controllers). */
        public Builder state(HookState state) {
            this.state = Objects.requireNonNull(state, "state");
            return this;
        }

        /** How often every lane is synced with the platform (1 s-1 h; default 60 s). */
        public Builder syncInterval(Duration every) {
            if (every == null || every.toMillis() < 1000 || every.toHours() > 1) {
                throw new IllegalArgumentException("syncInterval " + every + " is not allowed; must be 1s-1h");
            }
            this.syncInterval = every;
            return this;
        }

        /** How many lanes run at once (1-256; default 4). */
        public Builder parallelism(int lanes) {
            if (lanes < 1 || lanes > 256) {
                throw new IllegalArgumentException("parallelism " + lanes + " is not allowed; must be 1-256");
            }
            this.parallelism = lanes;
            return this;
        }

        /** The first retry's wait after a failed job, doubled per failure up to 60 s (10 ms-60 s; default 500 ms). */
        public Builder minBackoff(Duration wait) {
            if (wait == null || wait.toMillis() < 10 || wait.toSeconds() > 60) {
                throw new IllegalArgumentException("minBackoff " + wait + " is not allowed; must be 10ms-60s");
            }
            this.minBackoff = wait;
            return this;
        }

        /** Starts following the platform: loads the state file and runs a first inventory sync. */
        public Hooks build() {
            if (platform == null) {
                throw new IllegalStateException("hooks: set platform(...)");
            }
            return new Hooks(this);
        }
    }
}
