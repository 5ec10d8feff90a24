package dev.berth.samples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Stops the nginx and haproxy processes a test class's Serve runs left serving (by design, Serve
 * leaves its proxy running when it stops): after each class, every proxy master whose command line
 * names a JUnit temporary folder gets SIGTERM, and nginx workers orphaned by a killed master are
 * stopped. Test classes of this module run one at a time, so no running test's proxy is touched.
 * Registered for every test class through {@code META-INF/services} and JUnit's extension
 * auto-detection.
 */
public final class LeftoverProxies implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        List<ProcessHandle> stopped = new ArrayList<>();
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            for (ProcessHandle p : (Iterable<ProcessHandle>) all::iterator) {
                String cmd = commandLine(p.pid());
                String argv0 = cmd.split(" ", 2)[0];
                boolean proxy = cmd.startsWith("nginx: master") || argv0.equals("haproxy") || argv0.endsWith("/haproxy");
                boolean orphanWorker = cmd.startsWith("nginx: worker") && p.parent().map(ProcessHandle::pid).orElse(1L) == 1L;
                if ((proxy && cmd.contains("/junit")) || orphanWorker) {
                    System.err.println("LeftoverProxies: " + context.getDisplayName() + " left pid " + p.pid()
                            + " (" + cmd + ") running: stopping it");
                    p.destroy();
                    stopped.add(p);
                }
            }
        }
        for (ProcessHandle p : stopped) {
            try {
                p.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                p.destroyForcibly();
            }
        }
    }

    /** The process's argv joined by spaces ("" when it is gone or unreadable). */
    private static String commandLine(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";
        }
    }
}
