package dev.berth.support.testing;

import dev.berth.api.Endpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An app instance as a real process: a child JVM running {@link UpstreamMain} on a port of
 * 127.0.0.1, which {@link #kill} ends with SIGKILL (its port then refuses). Not thread-safe.
 */
public final class UpstreamProcess implements AutoCloseable {
    private final Process process;
    private final Endpoint endpoint;
    private final String name;

    private UpstreamProcess(Process process, Endpoint endpoint, String name) {
        this.process = process;
        this.endpoint = endpoint;
        this.name = name;
    }

    /**
     * Starts an instance answering {@code name} after {@code delayMs} on 127.0.0.1:{@code port}
     * and returns once it accepts connections (at most 20 s); its output goes to {@code dir}.
     */
    public static UpstreamProcess start(Path dir, int port, String name, long delayMs) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path classes;
        try {
            classes = Path.of(UpstreamMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException("cannot locate the test classes: " + e.getMessage(), e);
        }
        Files.createDirectories(dir);
        Path log = dir.resolve("upstream-" + name + "-" + port + ".log");
        Process p = new ProcessBuilder(List.of(java, "-Xmx48m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dsun.net.httpserver.nodelay=true", "-cp", classes.toString(), UpstreamMain.class.getName(),
                Integer.toString(port), name, Long.toString(delayMs)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        UpstreamProcess u = new UpstreamProcess(p, new Endpoint("127.0.0.1", port), name);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!u.accepts()) {
            if (!p.isAlive() || System.nanoTime() > end) {
                p.destroyForcibly();
                throw new IOException("upstream " + name + " did not listen on port " + port + ": "
                        + Files.readString(log));
            }
            sleep(20);
        }
        return u;
    }

    /** Same, on a free port. */
    public static UpstreamProcess start(Path dir, String name, long delayMs) throws IOException {
        return start(dir, freePort(), name, delayMs);
    }

    /** Where it listens. */
    public Endpoint endpoint() {
        return endpoint;
    }

    /** What it answers. */
    public String name() {
        return name;
    }

    /** SIGKILL, then waits until the process is gone (its port refuses from then on). */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("upstream " + name + " survived SIGKILL for 10 s");
        }
    }

    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), endpoint.port()), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    /** A port of 127.0.0.1 that nothing listens on just now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
