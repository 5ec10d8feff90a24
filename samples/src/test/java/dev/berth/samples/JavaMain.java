package dev.berth.samples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A sample's main class run in its own JVM. Its output goes to a file rather than a pipe: what
 * a JVM prints from its shutdown hooks can be lost by a parent reading a pipe.
 */
final class JavaMain implements AutoCloseable {
    final Process process;
    private final Path output;

    JavaMain(Path output, Class<?> main, String... args) throws IOException {
        this(Map.of(), output, main, args);
    }

    /** With {@code env} added to this JVM's environment. */
    JavaMain(Map<String, String> env, Path output, Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        this.output = output;
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().putAll(env);
        process = pb.start();
    }

    /** Every line printed so far. */
    List<String> lines() {
        try {
            return List.of(new String(Files.readAllBytes(output), StandardCharsets.UTF_8).split("\n", -1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    long count(String fragment) {
        return lines().stream().filter(l -> l.contains(fragment)).count();
    }

    /** Every first group of {@code regex} in the output. */
    List<String> all(String regex) {
        Pattern p = Pattern.compile(regex);
        List<String> out = new ArrayList<>();
        for (String l : lines()) {
            Matcher m = p.matcher(l);
            if (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    /** SIGTERM, as Ctrl-C would, and waits for the JVM's shutdown hooks. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    /** Whether the process runs; a zombie (dead, not yet reaped by init) does not. */
    static boolean alive(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            terminate();
        }
    }
}
