package dev.berth.backend.process;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.berth.spi.RunningInstance;

/**
 * Run in a separate JVM by {@link SurvivesJvmKillIT}: starts one instance through a
 * ProcessBackend on the base dir given as the first argument, prints {@code PID <pid>} and waits
 * (bounded) to be killed.
 */
public final class LauncherMain {
    private LauncherMain() {
    }

    public static void main(String[] args) throws Exception {
        Path base = Path.of(args[0]);
        String id = args[1];
        ProcessBackend backend = Kit.builder(base).build();
        RunningInstance i = backend.start(Kit.req(id, Kit.sh("web", Kit.beats(600)).build()));
        System.out.println("PID " + i.handle());
        System.out.flush();
        new CountDownLatch(1).await(120, TimeUnit.SECONDS);
        backend.close();
    }
}
