// A hook module for tests that keeps every job it is handed, and can be told to fail an app's jobs for a while.
package dev.berth.hooks;

import dev.berth.api.HookJob;
import dev.berth.spi.HookModule;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Records jobs; {@link #failNext} makes the next N jobs of an app throw. */
final class RecordingModule implements HookModule {
    private final String name;
    final List<HookJob> jobs = new CopyOnWriteArrayList<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> failing = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    /** Set when two jobs of one app were ever handled at once (a lane must be one at a time). */
    volatile boolean overlapped;
    /** Throw an Error (not an Exception) while failing. */
    volatile boolean failWithError;

    RecordingModule(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void validate(Map<String, Object> options) {
        if (options.containsKey("bad")) {
            throw new dev.berth.api.InvalidSpecException("options.bad", options.get("bad"), "no such option");
        }
    }

    @Override
    public void handle(HookJob job, Map<String, Object> options) {
        AtomicInteger running = inFlight.computeIfAbsent(job.app(), a -> new AtomicInteger());
        if (running.incrementAndGet() > 1) {
            overlapped = true;
        }
        try {
            Thread.onSpinWait();
            AtomicInteger left = failing.get(job.app());
            if (left != null && left.getAndDecrement() > 0) {
                failures.add(job.id());
                if (failWithError) {
                    throw new AssertionError("told to fail " + job.app() + " with an Error");
                }
                throw new IllegalStateException("told to fail " + job.app());
            }
            jobs.add(job);
        } finally {
            running.decrementAndGet();
        }
    }

    void failNext(String app, int count) {
        failing.put(app, new AtomicInteger(count));
    }

    /** The app's jobs in the order handled. */
    List<HookJob> of(String app) {
        List<HookJob> out = new ArrayList<>();
        jobs.stream().filter(j -> j.app().equals(app)).forEach(out::add);
        return out;
    }

    /** What the module holds for the app: UP adds, DOWN removes, in the order handled. */
    Set<String> view(String app) {
        Set<String> v = new LinkedHashSet<>();
        for (HookJob j : of(app)) {
            if (j.type() == HookJob.Type.UP) {
                v.add(j.instance());
            } else {
                v.remove(j.instance());
            }
        }
        return v;
    }
}
