// Test support: random but reproducible batches of app and instance records over small key pools.
package dev.berth.core.internal.state;

import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.Endpoint;
import dev.berth.api.ExitInfo;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.spi.StateChanges;
import java.time.Instant;
import java.util.Random;

/** Makes batches whose keys collide often (5 apps, 20 instances), so saves replace and deletes hit. Stateless. */
final class Batches {
    private Batches() {
    }

    /** A batch of 1 to {@code max} changes drawn from {@code random}. */
    static StateChanges random(Random random, int max) {
        StateChanges.Builder b = StateChanges.builder();
        int n = 1 + random.nextInt(max);
        for (int i = 0; i < n; i++) {
            int k = random.nextInt(100);
            if (k < 15) {
                b.saveApp(app("a" + random.nextInt(5), random.nextInt(1000)));
            } else if (k < 20) {
                b.deleteApp("a" + random.nextInt(5));
            } else if (k < 80) {
                b.saveInstance(instance("i" + random.nextInt(20), random.nextInt(1000)));
            } else {
                b.deleteInstance("i" + random.nextInt(20));
            }
        }
        return b.build();
    }

    /** App {@code name} at release {@code r<n>}. */
    static AppRecord app(String name, int n) {
        AppSpec spec = AppSpec.builder(name).command("sleep", Integer.toString(n)).env("N", "v\n\"" + n).build();
        return new AppRecord(spec, "r" + n, n % 3 == 0);
    }

    /** Instance {@code id} with {@code n} restarts, and fields that vary with {@code n}. */
    static InstanceRecord instance(String id, int n) {
        InstanceState[] states = InstanceState.values();
        Instant at = Instant.parse("2026-11-21T10:00:00Z").plusSeconds(n);
        return new InstanceRecord(id, "a" + n % 5, "r" + n, "local", states[n % states.length],
                n % 2 == 0 ? new Endpoint("127.0.0.1", 1024 + n) : null, n % 4 == 0 ? null : Integer.toString(4000 + n), n,
                n % 3 == 0 ? null : at, n % 5 == 0 ? new ExitInfo(n - 500, at, "exit \"" + n + "\"\nline") : null);
    }
}
